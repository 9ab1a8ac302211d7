"""The notebook generator on small pages: how exercises, solutions and verifications become cells, and the
clear errors when a page breaks the conventions. No Ray, no build: pages with inline code."""

from __future__ import annotations

import pytest

from cours_ray.notebook_pages import NotebookPageError, notebook_page_html
from cours_ray.notebooks import ANSWER_IN_WORDS, TO_COMPLETE, NotebookError, build_notebook
from cours_ray.pages import executable_blocks

PAGE = "docs/page.md"

EXERCISE = '''# Titre

Du texte avec un [lien](autre.md#section).

!!! question "👇 À compléter"

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
    print("✅ double")
    ```

## Suite

```python exec="on"
print(double(21))
```
'''


def notebook(text: str, solutions: bool, outputs=None, site_url=None):
    blocks = executable_blocks(text, PAGE, expander=None)
    return build_notebook(text, PAGE, blocks, outputs, solutions=solutions, data_archive="course-data.zip", site_url=site_url)


def cells(nb, kind=None):
    return [c for c in nb.cells if kind is None or c.cell_type == kind]


def test_exercise_becomes_a_cell_to_complete_holding_the_skeleton():
    nb = notebook(EXERCISE, solutions=False)
    code = [c.source for c in cells(nb, "code")]
    assert code == [
        f"{TO_COMPLETE}\ndef double(x):\n    raise NotImplementedError",
        'assert double(2) == 4, "double(2) doit valoir 4"\nprint("✅ double")',
        "print(double(21))",
    ]
    text = "\n".join(c.source for c in nb.cells)
    assert "return 2 * x" not in text and "explique la solution" not in text
    roles = [c.metadata.get("cours_ray", {}).get("role") for c in cells(nb, "code")]
    assert roles == ["exercice", "verification", None]


def test_solutions_notebook_has_every_block_with_its_output():
    outputs = [{"number": n, "stdout": f"sortie {n}\n", "figures": []} for n in (1, 2, 3)]
    nb = notebook(EXERCISE, solutions=True, outputs=outputs)
    code = cells(nb, "code")
    assert [c.source for c in code] == ["def double(x):\n    return 2 * x", code[1].source, "print(double(21))"]
    assert [c.outputs[0]["text"] for c in code] == ["sortie 1\n", "sortie 2\n", "sortie 3\n"]
    assert [c.execution_count for c in code] == [1, 2, 3]
    markdown = "\n".join(c.source for c in cells(nb, "markdown"))
    assert "> **👇 À compléter**" in markdown and "> **Solution**" in markdown
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


def test_exercise_to_complete_without_verification_is_refused_naming_its_line():
    text = EXERCISE.replace('??? check "Vérification"', '??? note "Autre chose"')
    with pytest.raises(NotebookError, match=r"docs/page\.md, ligne 5\s:\sexercice «\sÀ compléter\s» sans «\s\?\?\? check"):
        notebook(text, solutions=False)


def test_solution_without_statement_is_refused_naming_its_line():
    text = "# Titre\n\n??? success \"Solution\"\n\n    ```python exec=\"on\"\n    x = 1\n    ```\n"
    with pytest.raises(NotebookError, match=r"docs/page\.md, ligne 3\s:\s«\sSolution\s» sans énoncé"):
        notebook(text, solutions=True)


def test_question_to_do_in_words_needs_no_verification():
    text = "# Titre\n\n!!! question \"👇 À faire\"\n\n    Réfléchir.\n\n??? success \"Solution\"\n\n    La réponse.\n"
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
