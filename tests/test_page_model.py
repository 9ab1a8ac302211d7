"""The page model (cours_ray/pages.py) on small pages: sessions, stable block ids, exercises, and the clear errors
of a page that almost follows the conventions. No Ray, no build."""

from __future__ import annotations

import re

import pytest

from cours_ray.cache import session_key
from cours_ray.pages import ANSWER, COMPLETE, PageError, parse_page
from cours_ray.snippets import SnippetExpander

PAGE = "docs/page.md"


@pytest.fixture
def project(tmp_path):
    """A folder with two snippet files, and an expander configured like mkdocs.yml."""
    (tmp_path / "snippets" / "page").mkdir(parents=True)
    for name in ("un", "deux"):
        (tmp_path / "snippets" / "page" / f"{name}.py").write_text(
            f"# --8<-- [start:a]\nx_{name} = 1\n# --8<-- [end:a]\n# --8<-- [start:b]\nprint(x_{name})\n# --8<-- [end:b]\n"
        )
    return tmp_path, SnippetExpander({"base_path": [str(tmp_path)], "check_paths": True}, tmp_path)


def fence(target: str, indent: str = "") -> str:
    return f'{indent}```python exec="on"\n{indent}--8<-- "{target}"\n{indent}```\n'


TWO_FILES = (
    "# Titre\n\nTexte.\n\n" + fence("snippets/page/un.py:a") + "\n" + fence("snippets/page/deux.py:a") + "\n"
    '```python exec="on"\nprint("en ligne")\n```\n\n' + fence("snippets/page/un.py:b") + "\n" + fence("snippets/page/deux.py:b")
)


def test_each_snippet_file_is_a_session_and_inline_blocks_continue_the_previous_one(project):
    _, expander = project
    page = parse_page(TWO_FILES, PAGE, expander)
    assert [(s.name, [b.id for b in s.blocks]) for s in page.sessions] == [
        ("snippets/page/un.py", ["snippets/page/un.py:a", "snippets/page/un.py:b"]),
        ("snippets/page/deux.py", ["snippets/page/deux.py:a", "docs/page.md#bloc-3", "snippets/page/deux.py:b"]),
    ]


def test_a_fence_can_name_its_session(project):
    _, expander = project
    text = TWO_FILES.replace('```python exec="on"\nprint("en ligne")', '```python exec="on" session="à part"\nprint("en ligne")')
    page = parse_page(text, PAGE, expander)
    assert [s.name for s in page.sessions] == ["snippets/page/un.py", "snippets/page/deux.py", "à part"]


def test_a_paragraph_added_at_the_top_changes_no_block_id_and_no_session_key(project):
    root, expander = project
    before = parse_page(TWO_FILES, PAGE, expander)
    after = parse_page(TWO_FILES.replace("Texte.\n", "Texte.\n\nUn paragraphe de plus.\n\n"), PAGE, expander)
    assert [b.id for b in after.blocks] == [b.id for b in before.blocks]
    assert [b.page_line for b in after.blocks] != [b.page_line for b in before.blocks]
    keys = [[session_key(root, page, s, "local") for s in page.sessions] for page in (before, after)]
    assert keys[0] == keys[1]


def test_editing_one_snippet_file_changes_only_its_session_key(project):
    root, expander = project
    page = parse_page(TWO_FILES, PAGE, expander)
    before = [session_key(root, page, s, "local") for s in page.sessions]
    path = root / "snippets" / "page" / "deux.py"
    path.write_text(path.read_text().replace("x_deux = 1", "x_deux = 2"))
    page = parse_page(TWO_FILES, PAGE, expander)
    after = [session_key(root, page, s, "local") for s in page.sessions]
    assert after[0] == before[0] and after[1] != before[1]


EXERCISE = f'''# Titre

!!! question "{COMPLETE}"

    Définir `x`.

    ```python
    x = None
    ```

??? success "Solution"

    ```python exec="on"
    x = 1
    ```

??? check "Vérification"

    ```python exec="on"
    assert x == 1
    ```

!!! question "{ANSWER}"

    Pourquoi ?

??? success "Solution"

    Parce que.
'''


def test_a_skeleton_with_blank_lines_between_its_functions_stays_whole():
    """Two blank lines in a row inside a statement (as PEP 8 puts them between functions) do not end it."""
    text = EXERCISE.replace("    ```python\n    x = None\n    ```", "    ```python\n    def f():\n        pass\n\n\n    def g():\n        pass\n    ```")
    page = parse_page(text, PAGE, expander=None)
    assert page.exercises[0].skeleton == "def f():\n    pass\n\n\ndef g():\n    pass"
    assert page.exercises[0].verification is not None


def test_exercises_know_their_statement_solution_verification_and_skeleton():
    page = parse_page(EXERCISE, PAGE, expander=None)
    first, second = page.exercises
    assert (first.kind, first.statement.line, first.solution.line, first.verification.line) == ("completer", 3, 11, 17)
    assert first.skeleton == "x = None"
    assert (second.kind, second.verification, second.skeleton) == ("faire", None, None)
    assert [(b.role, b.exercise) for b in page.blocks] == [("solution", 1), ("verification", 1)]


@pytest.mark.parametrize(
    ("wrong", "line"),
    [
        ('!!! question ":material-pencil-outline: A compléter"', 3),  # the accent
        ('!!! question ":material-pencil-outline: À completer"', 3),
        ('!!! question "À compléter"', 3),  # no icon
        ('!!! question "👇 À compléter"', 3),  # an emoji many browsers cannot draw
        ('!!! note ":material-pencil-outline: À compléter"', 3),  # not a question box
        ('??? check "Verification"', 17),
        ('!!! success "Solution"', 11),  # unfolded: the learner would read it first
    ],
)
def test_near_miss_titles_fail_naming_the_line(wrong, line):
    right = {3: f'!!! question "{COMPLETE}"', 17: '??? check "Vérification"', 11: '??? success "Solution"'}[line]
    text = EXERCISE.replace(right, wrong, 1)
    with pytest.raises(PageError, match=rf"docs/page\.md, ligne {line}\s:\sencadré .* presque conforme ; écrivez exactement"):
        parse_page(text, PAGE, expander=None)


def test_exercise_to_complete_without_verification_fails_naming_its_line():
    text = EXERCISE.replace('??? check "Vérification"', '??? note "Autre chose"')
    with pytest.raises(PageError, match=r"docs/page\.md, ligne 3\s:\sexercice «\sÀ compléter\s» sans «\s\?\?\? check"):
        parse_page(text, PAGE, expander=None)


def test_solution_without_statement_fails_naming_its_line():
    text = "# Titre\n\n??? success \"Solution\"\n\n    ```python exec=\"on\"\n    x = 1\n    ```\n"
    with pytest.raises(PageError, match=r"docs/page\.md, ligne 3\s:\s«\sSolution\s» sans énoncé"):
        parse_page(text, PAGE, expander=None)


def test_page_without_title_fails():
    with pytest.raises(PageError, match=re.escape("docs/page.md : la page n'a pas de titre de niveau 1")):
        parse_page("Du texte.\n", PAGE, expander=None)


def test_blocks_folded_in_a_code_fold_show_their_results_after_it(project):
    root, expander = project
    text = (
        "# Titre\n\n" + fence("snippets/page/un.py:a") + '\n??? example "Code du graphique"\n\n' + fence("snippets/page/un.py:b", "    ")
        + '\n??? tip "Pour aller plus loin"\n\n' + fence("snippets/page/deux.py:a", "    ")
        + '\n    ??? example "Code du tableau"\n\n' + fence("snippets/page/deux.py:b", "        ") + "\nLa suite.\n"
    )
    page = parse_page(text, PAGE, expander)
    folds = page.results_after_folds
    assert sorted(folds) == ["snippets/page/deux.py:b", "snippets/page/un.py:b"]  # not the blocks of the other fold itself
    lines = text.split("\n")
    assert [(folds[b].indent, lines[folds[b].end - 1].strip()) for b in sorted(folds)] == [(4, "```"), (0, "```")]
    assert lines[folds["snippets/page/un.py:b"].line - 1] == '??? example "Code du graphique"'
