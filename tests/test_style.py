"""The course's French, as docs/lexique.md fixes it: no page uses a form the lexicon lists as one to avoid, and every
Ray term the lexicon lists links to the chapter that presents it (and is used there)."""

from __future__ import annotations

import re

import pytest

import course
from cours_ray.pages import Admonition, Heading, Text

LEXICON = "docs/lexique.md"
_ROW = re.compile(r"^\| (?P<term>[^|]+?) \| (?P<english>[^|]+?) \| \[chapitre (?P<number>\d+)\]\((?P<page>[^)]+)\) \| (?P<avoid>[^|]*?) ?\|$")


def lexicon() -> list[dict]:
    rows = [m.groupdict() for line in (course.ROOT / LEXICON).read_text(encoding="utf-8").split("\n") if (m := _ROW.match(line))]
    assert rows, f"{LEXICON} : table du lexique introuvable"
    return rows


def avoided() -> dict[str, str]:
    """Each form to avoid, and the course's term instead."""
    return {form.strip(): row["term"] for row in lexicon() for form in row["avoid"].split(",") if form.strip()}


def prose(page: str) -> str:
    """The page's prose: its text and titles, without code (fences, `spans`) or words in italics (*task*)."""

    def texts(nodes):
        for node in nodes:
            if isinstance(node, Text):
                yield "\n".join(node.lines)
            elif isinstance(node, Heading):
                yield node.text
            elif isinstance(node, Admonition):
                yield node.title
                yield from texts(node.children)

    text = "\n".join(texts(course.page_model(page).nodes))
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"(?<![*\w])\*[^*\n]+\*(?!\*)", " ", text)  # *en italique*, not **en gras**
    return re.sub(r"\]\([^)]*\)", "]", text)  # link targets are not prose


@pytest.mark.parametrize("page", [p for p in course.pages() if p != LEXICON])
def test_page_uses_none_of_the_forms_the_lexicon_avoids(page):
    text = prose(page).replace("\u202f", " ").replace("\u00a0", " ")
    found = [f"« {form} » (écrire : {term})" for form, term in avoided().items() if re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text, re.I)]
    assert not found, f"{page} : " + ", ".join(found)


def test_printed_outputs_use_none_of_the_forms_the_lexicon_avoids():
    snapshots = (course.ROOT / "tests" / "__snapshots__" / "test_pages.ambr").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\w)1 nœud(?!\w)", snapshots), "une sortie affiche « 1 nœud » : écrivez « un seul nœud »"


@pytest.mark.parametrize("row", lexicon(), ids=lambda row: row["term"])
def test_each_term_links_to_a_chapter_that_uses_it(row):
    page = f"docs/{row['page']}"
    assert page in course.pages(), f"{row['term']} : {page} n'existe pas"
    title = course.page_model(page).title
    assert title.startswith(f"Chapitre {row['number']} "), f"{row['term']} : {page} n'est pas le chapitre {row['number']}"
    first = row["term"].split(",")[0].strip().strip("`").lower()
    text = (course.ROOT / page).read_text(encoding="utf-8").lower()
    assert first in text, f"« {first} » n'apparaît pas au chapitre {row['number']} qui est censé le présenter"


def test_the_claims_table_names_only_tests_that_exist():
    """tests/README.md maps sentences to tests: a renamed or deleted test must not leave a dangling name there."""
    named = set(re.findall(r"`(?:[\w/]+\.py::)?(test_\w+)`", (course.ROOT / "tests" / "README.md").read_text(encoding="utf-8")))
    defined = {name for path in (course.ROOT / "tests").glob("*.py") for name in re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M)}
    assert len(named) > 100
    assert not named - defined, f"tests/README.md nomme des tests qui n'existent pas : {sorted(named - defined)}"
