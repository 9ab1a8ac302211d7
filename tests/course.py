"""What the tests know about the course: its pages (the machinery's page model), the snippets, builds and their
reports, the outputs the build's kernels produced (read from the cache through the machinery's API).

Everything is found by globbing `docs/` and `snippets/`, so a new chapter is covered without editing the tests.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath

from cours_ray.downloads import ChapterNotebooks
from cours_ray.execute import Execution, ExecutionError, PageResult, Project
from cours_ray.outputs import page_outputs
from cours_ray.pages import Admonition, Fence, Heading, Page, Text
from cours_ray.report import REPORT_FILE, BuildReport
from cours_ray.snippets import SECTION_MARK, SNIPPET_LINE, SnippetExpander

import masks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"
PROJECT = Project(ROOT / "mkdocs.yml")
DEFAULT_CACHE = ROOT / ".cache" / "cours-ray"  # the cache `mkdocs serve` and `mkdocs build` use (mkdocs.yml)
SNIPPET_TIMEOUT_S = 300  # a snippet file run standalone
AUTHOR_SWITCHES = ("COURS_RAY_CACHE", "COURS_RAY_EXECUTE", "COURS_RAY_TIMEOUT", "COURS_RAY_CACHE_DIR")


# --- pages and blocks ---------------------------------------------------------------------------------


def pages() -> list[str]:
    """Every page of the site, relative to the repository (`docs/...md`)."""
    return PROJECT.page_paths()


@cache
def parsed(page: str) -> tuple[Page | None, str | None]:
    """The page's model, or the error that prevents making it (a missing snippet, a near-miss title...)."""
    try:
        return PROJECT.parse(page), None
    except ExecutionError as error:
        return None, str(error)


def page_model(page: str) -> Page:
    model, error = parsed(page)
    assert model is not None, error
    return model


def chapters() -> list[str]:
    """The pages that have exercises, hence notebooks (same rule as the build)."""
    return [page for page in pages() if parsed(page)[0] is not None and parsed(page)[0].exercises]


def chapter_notebooks(page: str) -> ChapterNotebooks:
    return ChapterNotebooks(PurePosixPath(page).relative_to("docs").as_posix())


def snippet_files() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in SNIPPETS.rglob("*.py"))


def snippets_of(page: str) -> list[str]:
    """The snippet files under snippets/<page>/ (the folder mirrors the page)."""
    stem = PurePosixPath(page).relative_to("docs").with_suffix("").as_posix()
    return [s for s in snippet_files() if s.startswith(f"snippets/{stem}/")]


def expander() -> SnippetExpander:
    """Expands `--8<--` lines with pymdownx.snippets, configured exactly like mkdocs.yml."""
    return PROJECT.expander


def block_id(page: str, block) -> str:  # noqa: ANN001
    return f"{page}@{block.id}"


def cached_results(cache_dir: Path, page: str) -> PageResult:
    """What the build's kernels produced for the page's sessions, as the machinery finds it in its cache."""
    return Execution(PROJECT, cache_dir=cache_dir, timeout=1, report=lambda message: None).cached(page_model(page))


def shown(outputs: list[dict]) -> str:
    """What a block's test compares: each text output under its title, masked, then each figure's alt text."""
    texts, figures = page_outputs(outputs)
    parts = [f"[{text.title}]\n{masks.mask(text.text).rstrip(chr(10))}" for text in texts]
    parts += [f"[figure] {figure.alt}" for figure in figures]
    return "\n".join(parts)


# --- written for the learner ---------------------------------------------------------------------------


def main_path_words(page: str) -> int:
    """Words of prose outside folded boxes (`???`) and outside code, as `wc -w` counts them."""

    def count(nodes, folded: bool = False) -> int:
        total = 0
        for node in nodes:
            if isinstance(node, Text) and not folded:
                total += len("\n".join(node.lines).split())
            elif isinstance(node, Heading) and not folded:
                total += len(node.text.split())
            elif isinstance(node, Admonition):
                inner = folded or node.marker.startswith("???")
                total += (0 if inner else len(node.title.split())) + count(node.children, inner)
        return total

    return count(page_model(page).nodes)


def visible_presentation_blocks(page: str) -> list[str]:
    """Ids of the blocks shown unfolded whose job is to show results: a plot, or a table of aligned columns."""

    def visible(nodes, folded: bool = False):
        for node in nodes:
            if isinstance(node, Fence) and node.block and not folded:
                yield node.block
            elif isinstance(node, Admonition):
                yield from visible(node.children, folded or node.marker.startswith("???"))

    presentation = re.compile(r"\b(plt|ax|axes|fig)\.")
    return [block.id for block in visible(page_model(page).nodes) if presentation.search(block.code) or " | " in block.code]


# --- snippet sections, executed as shown ---------------------------------------------------------------


def section_code(snippet: str, section: str) -> tuple[str, int]:
    """A section's code exactly as the page shows it (pymdownx.snippets), and its first line in the file."""
    lines, _, _ = expander().expand(f'--8<-- "{snippet}:{section}"')
    file_lines = (ROOT / snippet).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(file_lines) if (m := SECTION_MARK.match(line)) and m["kind"] == "start" and m["name"] == section)
    assert file_lines[start + 1 : start + 1 + len(lines)] == lines, f"{snippet}:{section} n'est pas d'un seul tenant"
    return "\n".join(lines), start + 2


def asserts_of(snippet: str, section: str) -> list[str]:
    """The conditions of a section's `assert` statements, as source text."""
    code, _ = section_code(snippet, section)
    return [ast.unparse(node.test) for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Assert)]


def page_prose(page: str) -> str:
    """A page as one line of prose: line breaks and indentation collapsed, non-breaking spaces made plain."""
    text = (ROOT / page).read_text(encoding="utf-8").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text)


def stated(page: str, pattern: str) -> re.Match:
    """The page's sentence matching `pattern`; a rewritten sentence fails here, so its test gets revisited."""
    match = re.search(pattern, page_prose(page))
    assert match, f"{page} ne contient plus la phrase « {pattern} » : mettez à jour ce test et tests/README.md"
    return match


NUMBER_WORDS = {"un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10}


def number(text: str) -> float:
    """« 10 000 », « 0,1 », « une », « trois »... as a number."""
    text = text.strip().lower()
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    return float(text.replace(" ", "").replace(",", ".")) if "," in text or "." in text else int(text.replace(" ", ""))


def sleeps_of(function, *args) -> list[float]:
    """The durations a function's body passes to time.sleep, without sleeping (a plain function, or the
    function of a @ray.remote task, run here without Ray)."""
    function = getattr(function, "_function", function)
    recorded: list[float] = []
    real_time = function.__globals__["time"]

    class FakeTime:
        def sleep(self, seconds: float) -> None:
            recorded.append(seconds)

        def __getattr__(self, name: str):
            return getattr(real_time, name)

    function.__globals__["time"] = FakeTime()
    try:
        function(*args)
    finally:
        function.__globals__["time"] = real_time
    return recorded


def exec_sections(snippet: str, *sections: str, namespace: dict | None = None) -> dict:
    """Run sections of a snippet in one namespace; tracebacks point at the snippet file's own lines."""
    namespace = {} if namespace is None else namespace
    namespace.setdefault("__name__", "cours_ray_section")  # not importable: Ray pickles its functions by value
    namespace.setdefault("__file__", str(ROOT / snippet))
    for section in sections:
        code, first = section_code(snippet, section)
        exec(compile("\n" * (first - 1) + code, str(ROOT / snippet), "exec"), namespace)  # noqa: S102
    return namespace


def preamble_imports(snippet: str, section: str = "preambule") -> dict:
    """A namespace holding only the imports of a snippet's preamble: its functions can run without Ray."""
    code, first = section_code(snippet, section)
    tree = ast.parse("\n" * (first - 1) + code)
    tree.body = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    namespace = {"__name__": "cours_ray_section", "__file__": str(ROOT / snippet)}
    exec(compile(tree, str(ROOT / snippet), "exec"), namespace)  # noqa: S102
    return namespace


def exec_assignments(snippet: str, section: str, *names: str, namespace: dict) -> dict:
    """Run only the `name = ...` statements of a section that define `names` (e.g. a value computed from Ray,
    without running the measurement around it)."""
    code, first = section_code(snippet, section)
    tree = ast.parse("\n" * (first - 1) + code)
    tree.body = [n for n in tree.body if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in n.targets)]
    assert {t.id for n in tree.body for t in n.targets} >= set(names), f"{snippet}:{section} ne définit plus {names}"
    exec(compile(tree, str(ROOT / snippet), "exec"), namespace)  # noqa: S102
    return namespace


def exec_definitions(snippet: str, section: str, *names: str, namespace: dict) -> dict:
    """Run only the statements of a section that define `names` (functions, classes, `name = ...`), not the rest
    of it (a measurement, a call that needs Ray)."""
    code, first = section_code(snippet, section)
    tree = ast.parse("\n" * (first - 1) + code)

    def defines(node: ast.stmt) -> bool:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            return node.name in names
        return isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id in names for t in node.targets)

    tree.body = [node for node in tree.body if defines(node)]
    assert len(tree.body) == len(names), f"{snippet}:{section} ne définit plus {names}"
    exec(compile(tree, str(ROOT / snippet), "exec"), namespace)  # noqa: S102
    return namespace


def literal_assignments(snippet: str, section: str) -> dict:
    """`name = <literal>` statements of a section, evaluated without running the section."""
    code, _ = section_code(snippet, section)
    values = {}
    for node in ast.parse(code).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values


def sections_of(path: Path) -> list[str]:
    return [m["name"] for line in path.read_text(encoding="utf-8").split("\n") if (m := SECTION_MARK.match(line)) and m["kind"] == "start"]


def includes(page: str) -> list[str]:
    """Every `--8<--` target of a page (in code blocks or not)."""
    text = (ROOT / page).read_text(encoding="utf-8")
    return [m["target"] for line in text.split("\n") if (m := SNIPPET_LINE.match(line))]


# --- builds --------------------------------------------------------------------------------------------


def build_env(**overrides: str) -> dict[str, str]:
    """The environment of a test build: this process's (so the session's Ray), minus the author's switches."""
    env = {k: v for k, v in os.environ.items() if k not in AUTHOR_SWITCHES}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(overrides)
    return env


@dataclass
class Build:
    returncode: int
    log: str
    seconds: float
    site: Path

    @property
    def report(self) -> BuildReport:
        """The build's report, as the site publishes it (construction.json): what ran, what came from the cache."""
        return BuildReport.load(self.site / REPORT_FILE)

    def executed_sessions(self) -> list[tuple[str, str]]:
        return [(page.path, s.name) for page in self.report.pages for s in page.sessions if s.executed_at and not s.from_cache]

    @property
    def errors(self) -> list[str]:
        return re.findall(r"cours-ray\s: .*", self.log)


def mkdocs_build(root: Path, site: Path, env: dict[str, str], timeout: float = 300) -> Build:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(site)],
        cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    return Build(result.returncode, result.stdout + result.stderr, time.monotonic() - started, site)


# --- scratch projects --------------------------------------------------------------------------------------


class ScratchProject:
    """A tiny copy of the course (its mkdocs.yml, the theme's assets) to which a test adds pages and snippets."""

    def __init__(self, root: Path, existing: bool = False) -> None:
        self.root = root
        if existing:
            return
        config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
        # No nav: MkDocs lists the pages itself, so adding a page needs no edit of the configuration.
        config = "\n".join(line for line in _without_nav(config.split("\n")))
        (root / "mkdocs.yml").write_text(config, encoding="utf-8")
        shutil.copytree(DOCS / "assets", root / "docs" / "assets")
        shutil.copytree(ROOT / "overrides", root / "overrides")
        for folder in ("snippets", "course-data"):  # the repository's layout (mkdocs.yml watches them)
            (root / folder).mkdir()
        self.write("docs/index.md", "# Accueil\n")

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def build(self, timeout: float = 120, **env: str) -> Build:
        return mkdocs_build(self.root, self.root / "site", build_env(**env), timeout=timeout)

    def html(self, page: str = "index") -> str:
        path = self.root / "site" / ("index.html" if page == "index" else f"{page}/index.html")
        return path.read_text(encoding="utf-8")


def _without_nav(lines: list[str]):
    skipping = False
    for line in lines:
        if line.startswith("nav:"):
            skipping = True
            continue
        if skipping and (not line.strip() or line.startswith((" ", "-"))):
            continue
        skipping = False
        yield line


# --- processes -----------------------------------------------------------------------------------------


def processes_with_env(marker: str) -> list[tuple[int, str]]:
    """Live processes (other than this one) whose environment contains `marker` (e.g. KEY=value)."""
    needle = marker.encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                if command:  # zombies have no command line
                    found.append((int(entry.name), command))
        except OSError:
            continue
    return found


def wait_for_no_process(marker: str, seconds: float = 10) -> list[tuple[int, str]]:
    deadline = time.monotonic() + seconds
    while (left := processes_with_env(marker)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left
