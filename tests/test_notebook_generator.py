"""The notebook generator on small pages: how exercises, solutions and verifications become cells. No Ray, no
build: pages with inline code, parsed by the page model, with made-up outputs."""

from __future__ import annotations

from cours_ray.cache import SessionEntry
from cours_ray.execute import PageResult, SessionResult
from cours_ray.notebook_pages import NotebookPageError, notebook_page_html
from cours_ray.notebooks import ANSWER_IN_WORDS, TO_COMPLETE, build_notebooks
from cours_ray.pages import ANSWER, parse_page

import pytest

PAGE = "docs/page.md"

EXERCISE = '''# Titre

Du texte avec un [lien](autre.md#section).

!!! question ":material-pencil-outline: À compléter"

    Écrire `double`.

    ```python
    def double(x):
        raise NotImplementedError
    ```

??? success "Solution"

    ```python exec="on"
    def double(x):
        return 2 * x
    ```

    Une phrase qui explique la solution en détail.

??? check "Vérification"

    ```python exec="on"
    assert double(2) == 4, "double(2) doit valoir 4"
    print("✓ double")
    ```

## Suite

```python exec="on"
print(double(21))
```
'''


def notebook(text: str, solutions: bool, outputs=None, site_url=None):
    """`outputs`: block number -> printed text, as if the build's kernel had printed it."""
    page = parse_page(text, PAGE, expander=None)
    sessions = []
    for session in page.sessions:
        printed = {b.id: [{"output_type": "stream", "name": "stdout", "text": outputs[b.number]}] for b in session.blocks} if outputs else {}
        entry = SessionEntry("clé", PAGE, session.name, printed, {}, 0.0, "2026-12-02T00:00:00+00:00", "3.11", "2.60.0") if outputs else None
        sessions.append(SessionResult(session, entry, False))
    notebooks = build_notebooks(PageResult(page, sessions), data_archive="course-data.zip", site_url=site_url)
    return notebooks["solutions" if solutions else "exercices"]


def cells(nb, kind=None):
    return [c for c in nb.cells if kind is None or c.cell_type == kind]


def test_exercise_becomes_a_cell_to_complete_holding_the_skeleton():
    nb = notebook(EXERCISE, solutions=False)
    code = [c.source for c in cells(nb, "code")]
    assert code == [
        f"{TO_COMPLETE}\ndef double(x):\n    raise NotImplementedError",
        'assert double(2) == 4, "double(2) doit valoir 4"\nprint("✓ double")',
        "print(double(21))",
    ]
    text = "\n".join(c.source for c in nb.cells)
    assert "return 2 * x" not in text and "explique la solution" not in text
    roles = [c.metadata.get("cours_ray", {}).get("role") for c in cells(nb, "code")]
    assert roles == ["exercice", "verification", None]


def test_solutions_notebook_has_every_block_with_its_output():
    nb = notebook(EXERCISE, solutions=True, outputs={n: f"sortie {n}\n" for n in (1, 2, 3)})
    code = cells(nb, "code")
    assert [c.source for c in code] == ["def double(x):\n    return 2 * x", code[1].source, "print(double(21))"]
    assert [c.outputs[0]["text"] for c in code] == ["sortie 1\n", "sortie 2\n", "sortie 3\n"]
    assert [c.execution_count for c in code] == [1, 2, 3]
    markdown = "\n".join(c.source for c in cells(nb, "markdown"))
    assert "> **À compléter**" in markdown and "> **Solution**" in markdown
    assert "> Une phrase qui explique la solution en détail." in markdown
    assert "```python\ndef double(x):\n    raise NotImplementedError\n```" in markdown.replace("> ", "")


def test_title_becomes_the_notebook_title_and_internal_links_point_to_the_site():
    without = notebook(EXERCISE, solutions=False)
    assert without.cells[0].source.startswith("# Titre\u202f: cahier d'exercices")
    assert notebook(EXERCISE, solutions=True).cells[0].source.startswith("# Titre\u202f: cahier des solutions")
    assert "*lien* (sur le site du cours)" in without.cells[1].source
    with_url = notebook(EXERCISE, solutions=True, site_url="https://exemple.org/cours/")
    assert "[lien](https://exemple.org/cours/autre/#section)" in with_url.cells[1].source
    assert "(en haut du chapitre, [sur le site du cours](https://exemple.org/cours/page/))" in with_url.cells[0].source


def test_question_to_do_in_words_needs_no_verification():
    text = f"# Titre\n\n!!! question \"{ANSWER}\"\n\n    Réfléchir.\n\n??? success \"Solution\"\n\n    La réponse.\n"
    nb = notebook(text, solutions=False)
    assert [c.source for c in cells(nb, "code")] == [f"{TO_COMPLETE}\u202f: {ANSWER_IN_WORDS}"]
    assert "La réponse." not in "\n".join(c.source for c in nb.cells)


RENDERED = """<style>x</style>
<!-- Load mathjax -->
<script src=""> </script>
<!-- MathJax configuration -->
<script type="text/x-mathjax-config">
    init_mathjax();
</script>
<!-- End of mathjax configuration --><script type="module">
  const mermaid = (await import("https://cdn.example/mermaid.mjs")).default;
</script>
<h1 id="t">Titre<a class="anchor-link" href="#t">¶</a></h1>
<div class="jp-Mermaid"><pre class="mermaid">
flowchart TD
    A --&gt; B
</pre></div>
"""

LINKS = {"notebook": "../../telechargements/x.ipynb", "data": "../../telechargements/course-data.zip", "chapter": "../../x/"}


def test_notebook_page_loses_its_cdn_scripts_and_gains_its_download_buttons():
    html = notebook_page_html(RENDERED, "exercices", LINKS)
    assert "<script" not in html and "cdn" not in html
    assert '<pre class="mermaid"><code>flowchart TD\n    A --&gt; B\n</code></pre>' in html
    assert '</h1><p class="cr-telechargements"><a class="md-button md-button--primary" href="../../telechargements/x.ipynb" download>' in html


def test_notebook_page_from_an_unknown_template_fails_instead_of_reaching_the_network():
    with pytest.raises(NotebookPageError, match="MathJax"):
        notebook_page_html(RENDERED.replace("<!-- Load mathjax -->", "<!-- mathjax -->"), "solutions", LINKS)
