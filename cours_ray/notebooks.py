"""A chapter page and its executed blocks, turned into two Jupyter notebooks: exercises and solutions.

Nothing is written twice: the notebooks are generated from the page's Markdown and the code its blocks run.
Page conventions (see CONTRIBUTING.md):

- `!!! question "👇 À compléter"` states an exercise; a plain ```python fence inside it is the skeleton;
- the `??? success "Solution"` that follows is its solution, replaced in the exercises notebook by a
  `# À COMPLÉTER` cell (the skeleton, if any);
- the `??? check "Vérification"` that follows holds the blocks that check the answer: they stay in both notebooks.

Every cell says what it is in its metadata (`cours_ray`: role and exercise number), for the tests.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from cours_ray.pages import FENCE_OPEN, Block, fence_closing, is_executable

_ADMONITION = re.compile(r'^(?P<indent> *)(?P<marker>!!!|\?\?\?\+?)[ \t]+(?P<kind>[\w-]+)(?:[ \t]+"(?P<title>[^"]*)")?[ \t]*$')
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_PYTEST_MARK = re.compile(r"^[ \t]*<!--\s*pytest[-.:].*?-->[ \t]*$")
_MD_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]]+)\]\((?P<target>[^)\s]+\.md(?:#[^)\s]*)?)\)")

TO_COMPLETE = "# À COMPLÉTER"
ANSWER_IN_WORDS = "votre réponse (en code, en commentaires, ou passez la cellule en Markdown : touche M)"
EXERCISE_TITLES = ("👇 À compléter", "👇 À faire")


class NotebookError(Exception):
    """The page does not follow the exercise conventions."""


@dataclass
class _Fence:
    line: int  # 1-based, in the page
    lang: str
    attrs: str
    text: list[str]  # the fence, opening and closing lines included, dedented

    @property
    def is_exec(self) -> bool:
        return is_executable(self.lang, self.attrs)

    @property
    def body(self) -> str:
        return "\n".join(self.text[1:-1])


@dataclass
class _Admonition:
    line: int
    kind: str
    title: str
    items: list = field(default_factory=list)


def _parse(lines: list[tuple[int, str]]) -> list:
    """Markdown lines (already dedented), fences and admonitions, nested as in the page."""
    items: list = []
    i = 0
    while i < len(lines):
        number, text = lines[i]
        if opening := FENCE_OPEN.match(text):
            fence, indent = opening["fence"], len(opening["indent"])
            closing = fence_closing(fence)
            end = i + 1
            while end < len(lines) and not closing.match(lines[end][1]):
                end += 1
            body = [t[indent:] if t[:indent].strip() == "" else t.lstrip() for _, t in lines[i : end + 1]]
            items.append(_Fence(number, opening["lang"], opening["attrs"] or "", body))
            i = end + 1
        elif (admonition := _ADMONITION.match(text)) and not admonition["indent"]:
            end = i + 1
            while end < len(lines) and (not lines[end][1].strip() or lines[end][1].startswith("    ")):
                end += 1
            inner = [(n, t[4:] if t.startswith("    ") else "") for n, t in lines[i + 1 : end]]
            title = admonition["title"] if admonition["title"] is not None else admonition["kind"].capitalize()
            items.append(_Admonition(number, admonition["kind"], title, _parse(inner)))
            i = end
        else:
            items.append(text)
            i += 1
    return items


@dataclass
class _Cell:
    kind: str  # "markdown" or "code"
    source: str
    role: str | None = None  # "exercice", "solution", "verification"
    exercise: int | None = None
    block: Block | None = None


class _Builder:
    def __init__(self, page: str, blocks: list[Block], solutions: bool, site_url: str | None) -> None:
        self.page = page
        self.blocks = {block.page_line: block for block in blocks}
        self.solutions = solutions
        self.site_url = site_url
        self.cells: list[_Cell] = []
        self.markdown: list[str] = []
        self.markdown_role: tuple[str | None, int | None] = (None, None)
        self.exercise = 0
        self.question: _Admonition | None = None
        self.question_state: dict = {}

    # -- markdown buffer ------------------------------------------------------------------------------
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

    def add_markdown(self, text: str, depth: int, role: tuple[str | None, int | None]) -> None:
        if role != self.markdown_role:
            self.flush()
            self.markdown_role = role
        prefix = "> " * depth
        self.markdown.append((prefix + text).rstrip() if text else prefix.rstrip())

    def add_code(self, source: str, role: str | None, block: Block | None = None) -> None:
        self.flush()
        self.cells.append(_Cell("code", source.strip("\n"), role, self.exercise if role else None, block))

    # -- walk -----------------------------------------------------------------------------------------
    def walk(self, items: list, depth: int = 0, role: str | None = None) -> None:
        for item in items:
            if isinstance(item, str):
                self.text_line(item, depth, role)
            elif isinstance(item, _Fence):
                self.fence(item, depth, role)
            else:
                self.admonition(item, depth, role)

    def text_line(self, text: str, depth: int, role: str | None) -> None:
        if _PYTEST_MARK.match(text):
            return
        heading = _HEADING.match(text)
        if heading and depth == 0:
            self.end_question()
            self.flush()
        self.add_markdown(_MD_LINK.sub(self.link, text), depth, (role, self.exercise if role else None))
        if heading and depth == 0:
            self.flush()

    def link(self, match: re.Match) -> str:
        if not self.site_url:
            return f"*{match['text']}* (sur le site du cours)"
        path, _, anchor = match["target"].partition("#")
        return f"[{match['text']}]({site_page_url(self.site_url, path)}{'#' + anchor if anchor else ''})"

    def fence(self, fence: _Fence, depth: int, role: str | None) -> None:
        if fence.is_exec:
            block = self.blocks.get(fence.line)
            if block is None:
                raise NotebookError(f"{self.page}, ligne {fence.line} : bloc exécutable introuvable à l'analyse de la page")
            self.add_code(block.code, role, block)
            return
        if self.question_state.get("inside") and fence.lang in ("python", "py") and "skeleton" not in self.question_state:
            self.question_state["skeleton"] = fence.body
            if not self.solutions:
                return  # the exercise cell holds it
        for line in fence.text:
            self.add_markdown(line, depth, (role, self.exercise if role else None))

    def admonition(self, item: _Admonition, depth: int, role: str | None) -> None:
        if item.kind == "question" and item.title.startswith(EXERCISE_TITLES):
            self.end_question()
            self.exercise += 1
            self.question = item
            self.question_state = {"inside": True}
            self.boxed(item, depth, role)
            self.question_state["inside"] = False
        elif item.kind == "success" and item.title == "Solution":
            if self.question is None or "solution" in self.question_state:
                raise NotebookError(
                    f"{self.page}, ligne {item.line} : « Solution » sans énoncé « 👇 À compléter » ou « 👇 À faire » "
                    "juste avant (ou seconde « Solution » pour le même énoncé)"
                )
            self.question_state["solution"] = item.line
            if self.solutions:
                self.boxed(item, depth, "solution")
            else:
                skeleton = self.question_state.get("skeleton")
                answer = f"{TO_COMPLETE}\n{skeleton}" if skeleton else f"{TO_COMPLETE} : {ANSWER_IN_WORDS}\n"
                self.add_code(answer, "exercice")
        elif item.kind == "check":
            if "solution" not in self.question_state:
                raise NotebookError(f"{self.page}, ligne {item.line} : « Vérification » sans « Solution » qui la précède")
            self.question_state["verification"] = item.line
            self.add_markdown(
                "**Vérification.** Exécutez la cellule suivante : elle échoue, avec un message qui dit ce qui manque, "
                "tant que l'exercice n'est pas complété.",
                depth,
                ("verification", self.exercise),
            )
            self.walk(item.items, depth, "verification")
        else:
            self.boxed(item, depth, role)

    def boxed(self, item: _Admonition, depth: int, role: str | None) -> None:
        self.add_markdown(f"**{item.title}**", depth + 1, (role, self.exercise if role else None))
        self.add_markdown("", depth + 1, (role, self.exercise if role else None))
        self.walk(item.items, depth + 1, role)

    def end_question(self) -> None:
        if self.question is None:
            return
        question, state = self.question, self.question_state
        if "solution" not in state:
            raise NotebookError(f"{self.page}, ligne {question.line} : exercice sans « ??? success \"Solution\" »")
        if question.title.startswith("👇 À compléter") and "verification" not in state:
            raise NotebookError(
                f"{self.page}, ligne {question.line} : exercice « À compléter » sans « ??? check \"Vérification\" » "
                "après sa solution ; le cahier d'exercices n'aurait rien pour vérifier la réponse."
            )
        self.question, self.question_state = None, {}


def site_page_url(site_url: str, src_uri: str) -> str:
    """The published address of a page of docs/ (MkDocs' directory URLs: autre.md -> autre/)."""
    path = re.sub(r"(^|/)index\.md$", r"\1", src_uri)
    path = re.sub(r"\.md$", "/", path)
    return site_url.rstrip("/") + "/" + path


def has_exercises(markdown: str) -> bool:
    return any(
        (m := _ADMONITION.match(line)) and m["kind"] == "question" and (m["title"] or "").startswith(EXERCISE_TITLES)
        for line in markdown.split("\n")
    )


def page_title(markdown: str) -> str:
    for line in markdown.split("\n"):
        if line.startswith("# "):
            return line[2:].strip()
    raise NotebookError("la page n'a pas de titre de niveau 1")


def build_notebook(
    markdown: str,
    page: str,
    blocks: list[Block],
    outputs: list[dict] | None,
    *,
    solutions: bool,
    data_archive: str,
    site_url: str | None = None,
) -> nbformat.NotebookNode:
    """The exercises notebook (solutions=False) or the solutions notebook, with `outputs` if given."""
    title = page_title(markdown)
    lines = list(enumerate(markdown.split("\n"), start=1))
    body = [(n, t) for n, t in lines if not t.startswith("# ")]
    builder = _Builder(page, blocks, solutions, site_url)
    builder.walk(_parse(body))
    builder.end_question()
    builder.flush()

    code_blocks = [cell.block for cell in builder.cells if cell.block is not None]
    if solutions and [b.number for b in code_blocks] != [b.number for b in blocks]:
        raise NotebookError(f"{page} : le cahier des solutions ne reprend pas les blocs de la page un à un, dans l'ordre")

    kind = "cahier des solutions" if solutions else "cahier d'exercices"
    chapter = page.removeprefix("docs/")
    where = f"[sur le site du cours]({site_page_url(site_url, chapter)})" if site_url else "sur le site du cours"
    intro = [
        f"# {title} : {kind}",
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
    cells = [new_markdown_cell("\n".join(intro), id="entete", metadata={"cours_ray": {"role": "entete"}})]
    outputs_by_number = {output["number"]: output for output in outputs or []}
    execution_count = 0
    for index, cell in enumerate(builder.cells, start=1):
        metadata = {"cours_ray": {"role": cell.role, "exercice": cell.exercise}} if cell.role else {}
        if cell.block is not None:
            metadata.setdefault("cours_ray", {})["bloc"] = cell.block.number
        if cell.kind == "markdown":
            cells.append(new_markdown_cell(cell.source, id=f"cellule-{index}", metadata=metadata))
            continue
        code = new_code_cell(cell.source, id=f"cellule-{index}", metadata=metadata)
        output = outputs_by_number.get(cell.block.number) if solutions and cell.block else None
        if output is not None:
            execution_count += 1
            code.execution_count = execution_count
            if output["stdout"]:
                code.outputs.append(new_output("stream", name="stdout", text=output["stdout"]))
            for figure in output["figures"]:
                data = {"image/svg+xml": _svg_with_title(figure["svg"], figure["alt"]), "text/plain": figure["alt"]}
                code.outputs.append(new_output("display_data", data=data))
        cells.append(code)
    notebook = new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
            "language_info": {"name": "python"},
            "cours_ray": {"page": page, "cahier": "solutions" if solutions else "exercices"},
        },
    )
    nbformat.validate(notebook)
    return notebook


def _svg_with_title(svg: str, alt: str) -> str:
    """The figure's label as the SVG's <title>: its text alternative, wherever the SVG is shown."""
    return re.sub(r"(<svg[^>]*>)", lambda m: f"{m.group(1)}<title>{html.escape(alt, quote=True)}</title>", svg, count=1)
