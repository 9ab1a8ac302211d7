"""The built site (the session's strict build) and the inventory of snippets: nothing runs unseen."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import course
from cours_ray.outputs import page_outputs
from cours_ray.snippets import SnippetError

ERROR_MARKERS = (
    "Traceback (most recent call last)",  # an exception rendered into the page
    "exited with errors",  # markdown-exec's failure report (bash, sh, console... blocks it runs itself)
    "exited with unexpected code",
    "cours-ray :",  # the machinery's error messages
)


def html_path(site: Path, page: str) -> Path:
    relative = Path(page).relative_to("docs").with_suffix("")
    return site / (relative.parent if relative.name == "index" else relative) / "index.html"


def test_strict_build_succeeds(site_build):
    build = site_build.build
    problems = [line for line in build.log.split("\n") if re.match(r"(WARNING|ERROR)\b", line) or "cours-ray :" in line]
    assert build.returncode == 0, "mkdocs build --strict a échoué :\n" + "\n".join(problems or [build.log[-3000:]])


@pytest.mark.parametrize("page", course.pages())
def test_page_shows_no_traceback_nor_error(page, site_build):
    path = html_path(site_build.site, page)
    assert path.exists(), f"{path} absent : la construction a échoué ?\n{site_build.why_not_executed(page)}"
    text = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text()
    found = [marker for marker in ERROR_MARKERS if marker in text]
    assert not found, f"{page} affiche une erreur : {found}"


@cache
def _rendered(site: Path, page: str) -> list:
    """The page's code blocks, outputs and figures, in document order."""
    soup = BeautifulSoup(html_path(site, page).read_text(encoding="utf-8"), "html.parser")
    return soup.select("article div.highlight, article figure.cr-figure")


@cache
def _shown(site: Path, page: str) -> dict[str, str | None]:
    """For each executed block: None when the page shows its code, its text outputs and its figures, else what's wrong."""
    elements = _rendered(site, page)
    result_of = course.cached_results(course.DEFAULT_CACHE, page)
    result, cursor = {}, 0
    for block in course.page_model(page).blocks:
        code = block.code.strip("\n")
        while cursor < len(elements) and not (
            elements[cursor].name == "div" and not elements[cursor].select_one(".filename") and elements[cursor].code
            and elements[cursor].code.get_text().strip("\n") == code
        ):
            cursor += 1
        if cursor == len(elements):
            result[block.id] = "code absent de la page (ou dans le désordre)"
            cursor = 0
            continue
        cursor += 1
        texts, figures = page_outputs(result_of.outputs(block.id) or [])
        problem = None
        for text in texts:
            shown = elements[cursor] if cursor < len(elements) else None
            title = shown and shown.select_one(".filename")
            if not (title and title.get_text() == text.title and shown.code.get_text().rstrip("\n") == text.text.expandtabs(4).rstrip("\n")):
                problem = f"sortie « {text.title} » absente, ou différente de ce que le bloc a produit"
            cursor += 1
        for figure in figures:
            shown = elements[cursor] if cursor < len(elements) else None
            if not (shown and shown.name == "figure" and shown.svg and shown.svg.get("aria-label") == figure.alt):
                problem = f"figure « {figure.alt[:60]}… » absente ou sans son texte alternatif"
            cursor += 1
        result[block.id] = problem
    return result


def _executed_blocks():
    return [
        pytest.param(page, block, id=course.block_id(page, block))
        for page in course.pages() if course.parsed(page)[0] for block in course.page_model(page).blocks
    ]


@pytest.mark.parametrize(("page", "block"), _executed_blocks())
def test_executed_block_is_shown_with_its_output(page, block, site_build):
    assert html_path(site_build.site, page).exists(), site_build.why_not_executed(page)
    problem = _shown(site_build.site, page)[block.id]
    assert problem is None, f"{course.block_id(page, block)} : {problem}"


def test_site_loads_nothing_from_other_hosts(site_build):
    remote = re.compile(r"""<(?:script|link|img)\b[^>]*\b(?:src|href)=["'](?:https?:)?//""")
    offenders = {}
    for path in site_build.site.rglob("*.html"):
        for tag in remote.findall(path.read_text(encoding="utf-8")):
            if 'rel="canonical"' not in tag:
                offenders.setdefault(str(path.relative_to(site_build.site)), []).append(tag)
    assert not offenders, offenders


# --- inventory: every snippet file, every section, every include ---------------------------------------


def _included() -> dict[str, set[str | None]]:
    """For each snippet file, the sections the pages include (None: the whole file)."""
    included: dict[str, set[str | None]] = {}
    for page in course.pages():
        for target in course.includes(page):
            try:
                path, section = course.expander().resolve(target)
            except SnippetError:
                continue  # reported by test_every_include_resolves
            included.setdefault(course.expander().relative(path), set()).add(section)
    return included


@pytest.mark.parametrize("page", course.pages())
def test_every_include_resolves(page):
    failures = []
    for target in course.includes(page):
        try:
            course.expander().expand(f'--8<-- "{target}"')
        except SnippetError as error:
            failures.append(str(error))
    assert not failures, f"{page} : " + "\n".join(failures)


@pytest.mark.parametrize("snippet", course.snippet_files())
def test_snippet_file_is_included_by_a_page(snippet):
    assert snippet in _included(), f"{snippet} n'est inclus par aucune page de docs/"


@pytest.mark.parametrize("snippet", course.snippet_files())
def test_every_section_of_snippet_is_included(snippet):
    included = _included().get(snippet, set())
    if None in included:
        return  # the whole file is shown
    missing = [s for s in course.sections_of(course.ROOT / snippet) if s not in included]
    assert not missing, f"{snippet} : sections qu'aucune page n'inclut : {missing}"


@pytest.mark.parametrize("snippet", course.snippet_files())
def test_every_line_of_snippet_is_in_a_section(snippet):
    """The reader sees all the code that runs: no line of a snippet lives outside a section (CONTRIBUTING.md)."""
    open_sections: list[str] = []
    outside, unbalanced = [], []
    for number, line in enumerate((course.ROOT / snippet).read_text(encoding="utf-8").split("\n"), start=1):
        if mark := course.SECTION_MARK.match(line):
            if mark["kind"] == "start":
                open_sections.append(mark["name"])
            elif mark["name"] in open_sections:
                open_sections.remove(mark["name"])
            else:
                unbalanced.append(f"ligne {number} : fin de « {mark['name']} » sans début")
        elif line.strip() and not open_sections:
            outside.append(f"ligne {number} : {line.strip()}")
    unbalanced += [f"section « {name} » jamais fermée" for name in open_sections]
    assert not outside and not unbalanced, f"{snippet} :\n" + "\n".join(unbalanced + outside)


# --- glyphs every reader has ----------------------------------------------------------------------------


@cache
def _common_glyphs() -> frozenset[int]:
    """The characters of DejaVu Sans and DejaVu Sans Mono (shipped with matplotlib), the fonts of Debian's Chromium:
    a character outside them (an emoji such as ✅ or 👇) may show as an empty box on a reader's screen."""
    from fontTools.ttLib import TTFont
    import matplotlib

    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return frozenset(code for name in ("DejaVuSans.ttf", "DejaVuSansMono.ttf") for code in TTFont(fonts / name).getBestCmap())


@pytest.mark.parametrize("page", course.pages())
def test_page_text_uses_only_characters_common_fonts_carry(page, site_build):
    path = html_path(site_build.site, page)
    assert path.exists(), site_build.why_not_executed(page)
    article = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").select_one("article")
    for svg in article.select("svg"):
        svg.decompose()  # Material's icons and the figures are drawings, not text
    rare = sorted({char for char in article.get_text() if ord(char) > 0x7F and ord(char) not in _common_glyphs()})
    assert not rare, f"{page} : caractères absents des polices courantes : {[f'{c} U+{ord(c):04X}' for c in rare]}"


def test_a_code_fold_hides_the_code_and_shows_its_results_right_after_it(site_build):
    """« Code du graphique », « Code du tableau »… fold the presentation code; the plot or the table stays in view."""
    checked = 0
    for page in course.pages():
        soup = BeautifulSoup(html_path(site_build.site, page).read_text(encoding="utf-8"), "html.parser")
        for fold in soup.select("article details"):
            if not fold.summary.get_text(strip=True).startswith("Code "):
                continue
            assert not fold.select("figure.cr-figure, .filename"), f"{page} : un résultat est caché dans « {fold.summary.get_text(strip=True)} »"
            after = fold.find_next_sibling()
            if after is not None and (after.name == "figure" or after.select_one(".filename")):
                checked += 1
    assert checked >= 10, f"seulement {checked} résultats montrés après leur encadré « Code … »"
