"""The page model: a course page parsed once (markdown-it-py), into what the build, the notebooks and the tests use.

A page is a tree of nodes (text, headings, fences, admonitions) with their source lines; its executable blocks
(```python exec="on"```, snippets expanded), grouped into sessions; and its exercises, each with its statement,
its solution and its verification. Conventions (CONTRIBUTING.md):

- `!!! question ":material-pencil-outline: À compléter"` states an exercise with code to write; a plain
  ```python fence inside it is the skeleton the learner gets;
- `!!! question ":material-comment-question-outline: À faire"` asks a question answered in words;
- the `??? success "Solution"` right after the statement is its solution;
- the `??? check "Vérification"` right after the solution of an « À compléter » holds the blocks that check it;
- a fold titled « Code … » (`??? example "Code du graphique"`) hides code, not its results: the outputs of its
  blocks are shown right after it.

A session is a sequence of blocks that run in one fresh Jupyter kernel: by default, the blocks that include one
snippet file (each snippet file is a complete program). A block without a snippet continues the session of the
block before it; `session="nom"` on a fence chooses its session explicitly.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin

from cours_ray.snippets import SNIPPET_LINE, Origin, SnippetError, SnippetExpander

COMPLETE = ":material-pencil-outline: À compléter"
ANSWER = ":material-comment-question-outline: À faire"
EXERCISE_TITLES = {COMPLETE: "completer", ANSWER: "faire"}
SOLUTION, VERIFICATION = "Solution", "Vérification"

_ATTRIBUTE = re.compile(r"""([\w-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s}]+)""")
_TRUE = {"on", "1", "true", "yes"}
_ADMONITION_INFO = re.compile(r'^\s*(?P<kind>[\w-]+)(?:\s+"(?P<title>[^"]*)")?\s*$')
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")


class PageError(Exception):
    """The page breaks a convention of the course; the message names the page and the line."""


@dataclass
class Block:
    """One executable block of a page, snippets expanded."""

    id: str  # stable across edits of the page's prose: "snippets/x.py:section", or "docs/page.md#bloc-k"
    number: int  # 1-based, in document order
    page_line: int  # line of the opening fence in the page
    code: str
    origins: list[Origin]  # one per line of `code`
    files: list[str] = field(default_factory=list)  # snippet files it includes, relative to the repo
    session: str = ""
    role: str | None = None  # None, "solution" or "verification"
    exercise: int | None = None


@dataclass
class Text:
    line: int  # first line, 1-based
    lines: list[str]  # dedented


@dataclass
class Heading:
    line: int
    level: int
    text: str


@dataclass
class Fence:
    line: int
    lang: str
    attrs: dict[str, str]
    lines: list[str]  # the whole fence, opening and closing lines included, dedented
    block: Block | None = None

    @property
    def body(self) -> str:
        return "\n".join(self.lines[1:-1])


@dataclass
class Admonition:
    line: int
    marker: str  # "!!!", "???" or "???+"
    kind: str
    title: str
    children: list = field(default_factory=list)
    end: int = 0  # its last line
    indent: int = 0  # the indentation of its marker in the page

    @property
    def folds_code(self) -> bool:
        """A fold titled « Code … » (« Code du graphique », « Code du tableau »…): it hides code, not results."""
        return self.marker.startswith("???") and self.title.startswith("Code ")


@dataclass
class Exercise:
    number: int
    kind: str  # "completer" or "faire"
    statement: Admonition
    solution: Admonition
    verification: Admonition | None = None

    @property
    def skeleton(self) -> str | None:
        """The first plain ```python fence of the statement: what the learner starts from."""
        return next((f.body for f in self.statement.children if isinstance(f, Fence) and f.block is None and f.lang in ("python", "py")), None)


@dataclass
class Session:
    name: str
    blocks: list[Block]

    @property
    def files(self) -> list[str]:
        return sorted({file for block in self.blocks for file in block.files})


@dataclass
class Page:
    path: str  # relative to the repository, e.g. "docs/01-les-taches.md"
    text: str
    title: str
    nodes: list
    blocks: list[Block]
    exercises: list[Exercise]

    @property
    def sessions(self) -> list[Session]:
        sessions: dict[str, Session] = {}
        for block in self.blocks:
            sessions.setdefault(block.session, Session(block.session, [])).blocks.append(block)
        return list(sessions.values())

    @property
    def block_ids(self) -> dict[str, Block]:
        return {block.id: block for block in self.blocks}

    @property
    def results_after_folds(self) -> dict[str, Admonition]:
        """The blocks folded in a « Code … » fold, by id, and that fold: their results are shown right after it."""
        shown: dict[str, Admonition] = {}

        def visit(nodes: list, fold: Admonition | None) -> None:
            for node in nodes:
                if isinstance(node, Fence) and node.block and fold:
                    shown[node.block.id] = fold
                elif isinstance(node, Admonition):
                    visit(node.children, fold or (node if node.folds_code else None))

        visit(self.nodes, None)
        return shown

    @property
    def stem(self) -> str:
        """The page's path under docs/, without its suffix: "01-les-taches", "partie/page"."""
        return Path(self.path).relative_to("docs").with_suffix("").as_posix()


def parse_page(text: str, path: str, expander: SnippetExpander) -> Page:
    """Parse a page; PageError or SnippetError (with the page and line) when it breaks the course's conventions."""
    lines = text.split("\n")
    tokens = _markdown().parse("\n".join(_blank_lines_indented(lines)))
    parser = _Parser(path, lines, expander)
    nodes = parser.container(tokens, 0, len(tokens), 0, len(lines), 0)
    title = next((node.text for node in nodes if isinstance(node, Heading) and node.level == 1), None)
    if title is None:
        raise PageError(f"{path} : la page n'a pas de titre de niveau 1 (« # Titre »)")
    exercises = _exercises(path, nodes)
    _assign_sessions(parser.blocks, path)
    return Page(path, text, title, nodes, parser.blocks, exercises)


def _blank_lines_indented(lines: list[str]) -> list[str]:
    """Blank lines inside an indented block given the indentation of the line after them. Python-Markdown (which
    renders the page) keeps an admonition open across blank lines; markdown-it's admonition plugin closes it at two
    blank lines in a row, which would cut a skeleton with two blank lines between its functions."""
    result, indent = list(lines), 0
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].strip():
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
        elif indent:
            result[i] = " " * indent
    return result


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").use(admon_plugin).enable("table")


def fence_attributes(info: str) -> tuple[str, dict[str, str]]:
    """The language and key="value" attributes of a fence's info string (```python exec="on" or ```{.python ...})."""
    info = info.strip().lstrip("{").rstrip("}").strip()
    lang = info.split(maxsplit=1)[0].lstrip(".") if info else ""
    attrs = {key: value.strip("\"'") for key, value in _ATTRIBUTE.findall(info)}
    return lang, attrs


def is_executable(lang: str, attrs: dict[str, str]) -> bool:
    """A fence that the build runs: ```python exec="on"``` (markdown-exec's syntax)."""
    return lang in ("python", "py") and attrs.get("exec", "").lower() in _TRUE


class _Parser:
    def __init__(self, path: str, lines: list[str], expander: SnippetExpander) -> None:
        self.path, self.lines, self.expander = path, lines, expander
        self.blocks: list[Block] = []
        self.ids: dict[str, int] = {}

    def container(self, tokens, start: int, stop: int, first_line: int, last_line: int, indent: int) -> list:
        """The nodes of tokens[start:stop] (one nesting level), covering source lines [first_line, last_line)."""
        nodes: list = []
        cursor = first_line  # first source line not yet part of a node
        level = tokens[start].level if start < stop else 0
        i = start
        while i < stop:
            token = tokens[i]
            if token.level != level or token.map is None or token.nesting == -1:
                i += 1
                continue
            begin, end = token.map
            if token.type == "heading_open":
                self.text(nodes, cursor, begin, indent)
                nodes.append(Heading(begin + 1, int(token.tag[1]), tokens[i + 1].content.strip()))
                cursor = end
            elif token.type == "fence":
                self.text(nodes, cursor, begin, indent)
                nodes.append(self.fence(token, begin, end, indent))
                cursor = end
            elif token.type == "admonition_open":
                close = self.closing(tokens, i)
                self.text(nodes, cursor, begin, indent)
                end = self.admonition_end(begin, end, indent)
                nodes.append(self.admonition(tokens, i, close, begin, end, indent))
                cursor = end
                i = close
            i += 1
        self.text(nodes, cursor, last_line, indent)
        return nodes

    @staticmethod
    def closing(tokens, i: int) -> int:
        """The index of the admonition_close that matches the admonition_open at i."""
        depth = 0
        for j in range(i, len(tokens)):
            depth += {"admonition_open": 1, "admonition_close": -1}.get(tokens[j].type, 0)
            if depth == 0:
                return j
        return len(tokens) - 1

    def admonition_end(self, begin: int, end: int, indent: int) -> int:
        """An admonition's map may include the blank lines after it: they belong to the text that follows."""
        while end > begin + 1 and not self.lines[end - 1].strip():
            end -= 1
        return end

    def text(self, nodes: list, begin: int, end: int, indent: int) -> None:
        chunk = [_dedent(line, indent) for line in self.lines[begin:end]]
        if any(line.strip() for line in chunk):
            nodes.append(Text(begin + 1, chunk))

    def fence(self, token, begin: int, end: int, indent: int) -> Fence:
        lang, attrs = fence_attributes(token.info)
        lines = [_dedent(line, indent) for line in self.lines[begin:end]]
        fence = Fence(begin + 1, lang, attrs, lines)
        if is_executable(lang, attrs):
            fence.block = self.block(fence)
        return fence

    def block(self, fence: Fence) -> Block:
        code_lines: list[str] = []
        origins: list[Origin] = []
        files: list[str] = []
        targets = []
        for offset, body in enumerate(fence.lines[1:-1], start=1):
            if match := SNIPPET_LINE.match(body):
                try:
                    expanded, expanded_origins, relative = self.expander.expand(body.strip())
                except SnippetError as error:
                    raise SnippetError(f"{self.path}, ligne {fence.line + offset} : {error}") from None
                code_lines += expanded
                origins += expanded_origins
                files.append(relative)
                targets.append(match["target"])
            else:
                code_lines.append(body)
                origins.append(Origin(self.path, fence.line + offset))
        only_include = len(targets) == 1 and len([line for line in fence.lines[1:-1] if line.strip()]) == 1
        number = len(self.blocks) + 1
        base = targets[0] if only_include else f"{self.path}#bloc-{number}"
        self.ids[base] = self.ids.get(base, 0) + 1
        block_id = base if self.ids[base] == 1 else f"{base}#{self.ids[base]}"
        block = Block(block_id, number, fence.line, "\n".join(code_lines), origins, files, fence.attrs.get("session", ""))
        self.blocks.append(block)
        return block

    def admonition(self, tokens, i: int, close: int, begin: int, end: int, indent: int) -> Admonition:
        opening = tokens[i]
        info = _ADMONITION_INFO.match(opening.info or "")
        if info is None:
            raise PageError(f"{self.path}, ligne {begin + 1} : encadré illisible : {self.lines[begin].strip()}")
        title = info["title"] if info["title"] is not None else info["kind"].capitalize()
        marker = self.lines[begin].strip().split()[0]
        item = Admonition(begin + 1, marker, info["kind"], title, end=end, indent=indent)
        children_start = i + 1
        while children_start < close and tokens[children_start].type in ("admonition_title_open", "inline", "admonition_title_close"):
            children_start += 1
        item.children = self.container(tokens, children_start, close, begin + 1, end, indent + 4)
        return item


def _dedent(line: str, indent: int) -> str:
    return line[indent:] if line[:indent].strip() == "" else line.lstrip()


def _normal(title: str) -> str:
    """A title stripped of icons, emoji, accents, case and punctuation: « 👇 A  Completer » -> "a completer"."""
    title = _SHORTCODE.sub(" ", title)
    title = unicodedata.normalize("NFKD", title)
    title = "".join(c for c in title if c.isalnum() or c.isspace())
    return " ".join(title.lower().split())


_CANONICAL = {  # normalised title -> (marker, kind, exact title)
    _normal(COMPLETE): ("!!!", "question", COMPLETE),
    _normal(ANSWER): ("!!!", "question", ANSWER),
    _normal(SOLUTION): ("???", "success", SOLUTION),
    _normal(VERIFICATION): ("???", "check", VERIFICATION),
}


def _exercises(path: str, nodes: list) -> list[Exercise]:
    """The page's exercises, in order; their blocks get their role. Near-miss titles and missing parts fail."""
    exercises: list[Exercise] = []
    siblings = [node for node in nodes if not isinstance(node, Text)]

    def check_titles(items: list) -> None:
        for node in items:
            if isinstance(node, Admonition):
                expected = _CANONICAL.get(_normal(node.title))
                if expected and (node.marker, node.kind, node.title) != expected:
                    raise PageError(
                        f"{path}, ligne {node.line} : encadré « {node.marker} {node.kind} \"{node.title}\" » presque conforme ; "
                        f"écrivez exactement : {expected[0]} {expected[1]} \"{expected[2]}\""
                    )
                check_titles(node.children)

    check_titles(nodes)
    i = 0
    while i < len(siblings):
        node = siblings[i]
        kind = EXERCISE_TITLES.get(node.title) if isinstance(node, Admonition) and node.kind == "question" else None
        if kind is None:
            if isinstance(node, Admonition) and node.title in (SOLUTION, VERIFICATION) and node.kind in ("success", "check"):
                raise PageError(f"{path}, ligne {node.line} : « {node.title} » sans énoncé d'exercice juste avant")
            i += 1
            continue
        following = siblings[i + 1] if i + 1 < len(siblings) else None
        if not (isinstance(following, Admonition) and following.title == SOLUTION):
            raise PageError(f"{path}, ligne {node.line} : exercice sans « ??? success \"Solution\" » juste après son énoncé")
        exercise = Exercise(len(exercises) + 1, kind, node, following)
        i += 2
        after = siblings[i] if i < len(siblings) else None
        if isinstance(after, Admonition) and after.title == VERIFICATION:
            if kind == "faire":
                raise PageError(f"{path}, ligne {after.line} : une question « À faire » n'a pas de « Vérification »")
            exercise.verification = after
            i += 1
        elif kind == "completer":
            raise PageError(
                f"{path}, ligne {node.line} : exercice « À compléter » sans « ??? check \"Vérification\" » après sa "
                "solution ; le cahier d'exercices n'aurait rien pour vérifier la réponse."
            )
        for role, box in (("solution", exercise.solution), ("verification", exercise.verification)):
            for fence in _fences(box.children if box else []):
                if fence.block:
                    fence.block.role, fence.block.exercise = role, exercise.number
        exercises.append(exercise)
    return exercises


def _fences(nodes: list):
    for node in nodes:
        if isinstance(node, Fence):
            yield node
        elif isinstance(node, Admonition):
            yield from _fences(node.children)


def _assign_sessions(blocks: list[Block], path: str) -> None:
    current = path
    for block in blocks:
        if block.session:
            current = block.session
        elif block.files:
            current = block.files[0]
        block.session = current
