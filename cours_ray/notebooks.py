"""A chapter's two Jupyter notebooks, from its page model and the outputs of its execution.

The solutions notebook is the page: its prose as Markdown cells, each executable block as a code cell carrying
the outputs the build's kernels produced for it. The exercises notebook is derived from it: each solution gives
way to a `# À COMPLÉTER` cell (with the statement's skeleton, if any), outputs are removed, verifications stay.
Every cell says what it is in its metadata (`cours_ray`: role, exercise number, block id), for the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import nbformat
from nbformat.v4 import new_notebook

from cours_ray.execute import PageResult
from cours_ray.pages import Admonition, Exercise, Fence, Heading, Page, Text

TO_COMPLETE = "# À COMPLÉTER"
ANSWER_IN_WORDS = "votre réponse (en code, en commentaires, ou passez la cellule en Markdown : touche M)"
_PYTEST_MARK = re.compile(r"^[ \t]*<!--\s*pytest[-.:].*?-->[ \t]*$")
_MD_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+\.md(?:#[^)\s]*)?)\)")
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:\s*")
_ATTR_LIST = re.compile(r"\{[^{}]*\}")


class NotebookError(Exception):
    """The notebook cannot be made from the page (a convention broken)."""


@dataclass
class _Cell:
    kind: str  # "markdown" or "code"
    source: str
    role: str | None = None  # "solution", "verification", "squelette", or None
    exercise: int | None = None
    block: str | None = None  # block id, for code cells


class _Walker:
    def __init__(self, page: Page, site_url: str | None) -> None:
        self.page, self.site_url = page, site_url
        self.exercises = {id(e.statement): e for e in page.exercises}
        self.solutions = {id(e.solution): e for e in page.exercises}
        self.checks = {id(e.verification): e for e in page.exercises if e.verification}
        self.cells: list[_Cell] = []
        self.markdown: list[str] = []
        self.markdown_role: tuple[str | None, int | None] = (None, None)
        self.current_statement: Exercise | None = None

    def flush(self) -> None:
        lines: list[str] = []
        for line in self.markdown:  # no empty quote lines at the ends, never two in a row
            if not line.strip(" >") and (not lines or not lines[-1].strip(" >")):
                continue
            lines.append(line)
        while lines and not lines[-1].strip(" >"):
            lines.pop()
        if lines:
            self.cells.append(_Cell("markdown", "\n".join(lines), *self.markdown_role))
        self.markdown = []

    def say(self, text: str, depth: int, role: str | None, exercise: int | None) -> None:
        if (role, exercise) != self.markdown_role:
            self.flush()
            self.markdown_role = (role, exercise)
        prefix = "> " * depth
        self.markdown.append((prefix + text).rstrip() if text else prefix.rstrip())

    def walk(self, nodes: list, depth: int = 0, role: str | None = None, exercise: int | None = None) -> None:
        for node in nodes:
            if isinstance(node, Heading):
                if node.level == 1 and depth == 0:
                    continue  # the notebook's own title replaces it
                self.flush()
                self.say("#" * node.level + " " + _ATTR_LIST.sub("", node.text).strip(), depth, role, exercise)
                self.flush()
            elif isinstance(node, Text):
                for line in node.lines:
                    if not _PYTEST_MARK.match(line):
                        self.say(_MD_LINK.sub(self.link, line), depth, role, exercise)
            elif isinstance(node, Fence):
                self.fence(node, depth, role, exercise)
            else:
                self.admonition(node, depth, role, exercise)

    def fence(self, fence: Fence, depth: int, role: str | None, exercise: int | None) -> None:
        if fence.block is not None:
            self.flush()
            block = fence.block
            self.cells.append(_Cell("code", block.code.strip("\n"), block.role, block.exercise, block.id))
            return
        statement = self.current_statement
        if statement is not None and statement.skeleton == fence.body and fence.lang in ("python", "py"):
            role = "squelette"  # shown in the solutions notebook, moved into the cell to complete in the other
        for line in fence.lines:
            self.say(line, depth, role, exercise)

    def admonition(self, box: Admonition, depth: int, role: str | None, exercise: int | None) -> None:
        if id(box) in self.exercises:
            statement = self.exercises[id(box)]
            self.current_statement = statement
            self.boxed(box, depth, role, exercise)
            self.current_statement = None
        elif id(box) in self.solutions:
            self.boxed(box, depth, "solution", self.solutions[id(box)].number)
        elif id(box) in self.checks:
            number = self.checks[id(box)].number
            self.say(
                "**Vérification.** Exécutez la cellule suivante : elle échoue, avec un message qui dit ce qui manque, "
                "tant que l'exercice n'est pas complété.",
                depth, "verification", number,
            )
            self.walk(box.children, depth, "verification", number)
        else:
            self.boxed(box, depth, role, exercise)

    def boxed(self, box: Admonition, depth: int, role: str | None, exercise: int | None) -> None:
        self.say(f"**{_SHORTCODE.sub('', box.title).strip()}**", depth + 1, role, exercise)
        self.say("", depth + 1, role, exercise)
        self.walk(box.children, depth + 1, role, exercise)

    def link(self, match: re.Match) -> str:
        if not self.site_url:
            return f"*{match['text']}* (sur le site du cours)"
        path, _, anchor = match["target"].partition("#")
        return f"[{match['text']}]({site_page_url(self.site_url, path)}{'#' + anchor if anchor else ''})"


def site_page_url(site_url: str, src_uri: str) -> str:
    """The published address of a page of docs/ (MkDocs' directory URLs: autre.md -> autre/)."""
    path = re.sub(r"(^|/)index\.md$", r"\1", src_uri)
    path = re.sub(r"\.md$", "/", path)
    return site_url.rstrip("/") + "/" + path


def new_markdown_cell(source: str, *, id: str, metadata: dict) -> nbformat.NotebookNode:  # noqa: A002
    """nbformat.v4.new_markdown_cell without its check of each cell: the whole notebook is validated once."""
    return nbformat.from_dict({"cell_type": "markdown", "id": id, "metadata": metadata, "source": source})


def new_code_cell(source: str, *, id: str, metadata: dict) -> nbformat.NotebookNode:  # noqa: A002
    """nbformat.v4.new_code_cell without its check of each cell (0.15 s per build for the 1 097 cells of the three
    chapters' notebooks, against 0.004 s): the whole notebook is validated once, in _notebook."""
    return nbformat.from_dict(
        {"cell_type": "code", "id": id, "metadata": metadata, "source": source, "outputs": [], "execution_count": None}
    )


def build_notebooks(result: PageResult, *, data_archive: str, site_url: str | None = None) -> dict[str, nbformat.NotebookNode]:
    """{"solutions": ..., "exercices": ...} for a page with exercises."""
    page = result.page
    walker = _Walker(page, site_url)
    walker.walk(page.nodes)
    walker.flush()
    cells = walker.cells
    if [c.block for c in cells if c.kind == "code"] != [b.id for b in page.blocks]:
        raise NotebookError(f"{page.path} : le cahier ne reprend pas les blocs de la page un à un, dans l'ordre")
    solutions = _notebook(page, _solution_cells(cells, result), "solutions", data_archive, site_url)
    exercises = _notebook(page, _exercise_cells(cells, page), "exercices", data_archive, site_url)
    return {"solutions": solutions, "exercices": exercises}


def _solution_cells(cells: list[_Cell], result: PageResult) -> list:
    notebook_cells, count = [], 0
    for index, cell in enumerate(cells, start=1):
        metadata = _metadata(cell)
        if cell.kind == "markdown":
            notebook_cells.append(new_markdown_cell(cell.source, id=f"cellule-{index}", metadata=metadata))
            continue
        code = new_code_cell(cell.source, id=f"cellule-{index}", metadata=metadata)
        outputs = result.outputs(cell.block)
        if outputs is not None:
            count += 1
            code.execution_count = count
            code.outputs = [nbformat.from_dict({**o, "execution_count": count} if o.get("output_type") == "execute_result" else o) for o in outputs]
        notebook_cells.append(code)
    return notebook_cells


def _exercise_cells(cells: list[_Cell], page: Page) -> list:
    exercises = {e.number: e for e in page.exercises}
    notebook_cells, placed = [], set()
    for index, cell in enumerate(cells, start=1):
        if cell.role == "squelette":
            continue  # it becomes the cell to complete
        if cell.role == "solution":
            if cell.exercise not in placed:
                placed.add(cell.exercise)
                skeleton = exercises[cell.exercise].skeleton
                answer = f"{TO_COMPLETE}\n{skeleton}" if skeleton else f"{TO_COMPLETE} : {ANSWER_IN_WORDS}"
                metadata = {"cours_ray": {"role": "exercice", "exercice": cell.exercise}}
                notebook_cells.append(new_code_cell(answer, id=f"exercice-{cell.exercise}", metadata=metadata))
            continue
        make = new_markdown_cell if cell.kind == "markdown" else new_code_cell
        notebook_cells.append(make(cell.source, id=f"cellule-{index}", metadata=_metadata(cell)))
    missing = set(exercises) - placed
    if missing:
        raise NotebookError(f"{page.path} : exercice(s) {sorted(missing)} sans solution dans le cahier")
    return notebook_cells


def _metadata(cell: _Cell) -> dict:
    info = {}
    if cell.role and cell.role != "squelette":
        info.update(role=cell.role, exercice=cell.exercise)
    if cell.block:
        info["bloc"] = cell.block
    return {"cours_ray": info} if info else {}


def _notebook(page: Page, cells: list, kind: str, data_archive: str, site_url: str | None) -> nbformat.NotebookNode:
    title = _SHORTCODE.sub("", page.title).strip()
    solutions = kind == "solutions"
    label = "cahier des solutions" if solutions else "cahier d'exercices"
    chapter = page.path.removeprefix("docs/")
    where = f"[sur le site du cours]({site_page_url(site_url, chapter)})" if site_url else "sur le site du cours"
    intro = [
        f"# {title} : {label}",
        "",
        f"Ce cahier est généré à partir de la page « {title} » de Cours Ray, le cours en français sur Ray Core : "
        "même texte, même code.",
        "",
        f"**Pour l'utiliser** : téléchargez aussi les données du cours, `{data_archive}` (en haut du chapitre, {where}), "
        "et décompressez-les dans le dossier de ce cahier : le dossier `course-data/` doit être juste à côté du "
        "cahier. Ouvrez ensuite le cahier dans Jupyter et exécutez les cellules dans l'ordre. Sans `RAY_ADDRESS`, "
        "`ray.init()` rejoint le Ray qu'a lancé `ray start` sur votre machine, s'il y en a un ; sinon, il démarre un "
        "Ray local.",
    ]
    if solutions:
        intro += ["", "Les sorties affichées sont celles de la construction du site, sur la machine qui l'a construit."]
    else:
        intro += [
            "",
            f"Les cellules qui commencent par `{TO_COMPLETE}` sont à vous. Pour les exercices de code, une cellule de "
            "vérification suit : elle échoue tant que l'exercice n'est pas complété et réussit ensuite. Les questions "
            "« À faire » n'en ont pas : comparez votre réponse au cahier des solutions.",
        ]
    header = new_markdown_cell("\n".join(intro), id="entete", metadata={"cours_ray": {"role": "entete"}})
    notebook = new_notebook(
        cells=[header, *cells],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
            "cours_ray": {"page": page.path, "cahier": kind},
        },
    )
    nbformat.validate(notebook)
    return notebook
