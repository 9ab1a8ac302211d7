"""What the tests know about the course: its pages, their blocks, the snippets, the expected outputs, builds.

Everything is found by globbing `docs/` and `snippets/`, so a new chapter is covered without editing the tests.
"""

from __future__ import annotations

import ast
import json
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
from cours_ray.notebooks import has_exercises
from cours_ray.pages import Block, SnippetError, SnippetExpander, executable_blocks, load_snippet_config

import masks

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"
OUTPUTS = Path(__file__).resolve().parent / "outputs"
SNIPPET_LINE = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+(?P<quote>["'])(?P<target>[^"']+)(?P=quote)[ \t]*$""")
SNIPPET_TIMEOUT_S = 300  # a snippet file run standalone
SECTION_MARK = re.compile(r"^\s*#\s*-{1,}8<-{1,}\s*\[(?P<kind>start|end):(?P<name>[^\]]+)\]\s*$")


# --- pages and blocks ---------------------------------------------------------------------------------


def pages() -> list[str]:
    """Every page of the site, relative to the repository (`docs/...md`)."""
    return sorted(p.relative_to(ROOT).as_posix() for p in DOCS.rglob("*.md"))


def chapters() -> list[str]:
    """The pages that have exercises, hence notebooks (same rule as the build)."""
    return [page for page in pages() if has_exercises((ROOT / page).read_text(encoding="utf-8"))]


def chapter_notebooks(page: str) -> ChapterNotebooks:
    return ChapterNotebooks(PurePosixPath(page).relative_to("docs").as_posix())


def snippet_files() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in SNIPPETS.rglob("*.py"))


@cache
def expander() -> SnippetExpander:
    """Expands `--8<--` lines with pymdownx.snippets, configured exactly like mkdocs.yml."""
    return SnippetExpander(load_snippet_config(ROOT / "mkdocs.yml"), ROOT)


@cache
def page_blocks(page: str) -> tuple[list[Block], str | None]:
    """The page's executable blocks, or the error that prevents finding them (e.g. a missing snippet)."""
    try:
        return executable_blocks((ROOT / page).read_text(encoding="utf-8"), page, expander()), None
    except SnippetError as error:
        return [], f"{page} : {error}"


def block_id(page: str, block: Block) -> str:
    return f"{page}:{block.page_line}"


# --- snippet sections, executed as shown ---------------------------------------------------------------


def section_code(snippet: str, section: str) -> tuple[str, int]:
    """A section's code exactly as the page shows it (pymdownx.snippets), and its first line in the file."""
    lines, _, _ = expander().expand(f'--8<-- "{snippet}:{section}"')
    file_lines = (ROOT / snippet).read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(file_lines) if (m := SECTION_MARK.match(line)) and m["kind"] == "start" and m["name"] == section)
    assert file_lines[start + 1 : start + 1 + len(lines)] == lines, f"{snippet}:{section} n'est pas d'un seul tenant"
    return "\n".join(lines), start + 2


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


# --- expected outputs ----------------------------------------------------------------------------------

HEADER = re.compile(r"^=== bloc (?P<number>\d+) · (?P<page>\S+):(?P<line>\d+) ===$", re.M)


@dataclass
class Section:
    number: int
    page_line: int
    body: str


def outputs_file(page: str) -> Path:
    return OUTPUTS / Path(page).relative_to("docs").with_suffix(".txt")


def section_body(output: dict) -> str:
    """What a block's test compares: its masked stdout, then the alt text of each figure."""
    parts = [masks.mask(output["stdout"]).rstrip("\n")] if output["stdout"] else []
    parts += [f"[figure] {figure['alt']}" for figure in output.get("figures", [])]
    return "\n".join(parts)


def render_outputs(page: str, outputs: list[dict]) -> str:
    text = (
        f"# Sorties attendues des blocs exécutés de {page}, masquées par tests/masks.py.\n"
        "# Régénérer après un changement voulu : pytest --update-outputs\n\n"
    )
    for output in outputs:
        body = section_body(output)
        text += f"=== bloc {output['number']} · {page}:{output['page_line']} ===\n" + (body + "\n" if body else "") + "\n"
    return text


def parse_outputs(text: str) -> dict[int, Section]:
    sections = {}
    matches = list(HEADER.finditer(text))
    for match, following in zip(matches, matches[1:] + [None]):
        body = text[match.end() + 1 : following.start() if following else len(text)]
        sections[int(match["number"])] = Section(int(match["number"]), int(match["line"]), body.rstrip("\n"))
    return sections


# --- builds --------------------------------------------------------------------------------------------


def build_env(**overrides: str) -> dict[str, str]:
    """The environment of a test build: this process's (so the session's Ray), minus the author's switches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURS_RAY_") or k == "COURS_RAY_TESTS_SESSION"}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env.update(overrides)
    return env


@dataclass
class Build:
    returncode: int
    log: str
    seconds: float

    @property
    def executed_pages(self) -> list[str]:
        return re.findall(r"cours-ray: (\S+) : \d+ bloc\(s\) exécuté\(s\)", self.log)

    @property
    def summary(self) -> dict[str, int]:
        match = re.search(r"exécution : (\d+) page\(s\), (\d+) bloc\(s\) .*; (\d+) page\(s\) servie\(s\) par le cache ; démarrages de Ray : (\d+)", self.log)
        assert match, f"résumé d'exécution absent du journal :\n{self.log[-3000:]}"
        return dict(zip(("pages", "blocks", "cached", "ray_starts"), map(int, match.groups())))

    @property
    def errors(self) -> list[str]:
        return re.findall(r"cours-ray : .*", self.log)


def mkdocs_build(root: Path, site: Path, env: dict[str, str], timeout: float = 300) -> Build:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(site)],
        cwd=root, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    return Build(result.returncode, result.stdout + result.stderr, time.monotonic() - started)


def cache_outputs(cache_dir: Path, page: str) -> list[dict] | None:
    path = cache_dir / (page.replace("/", "__") + ".json")
    try:
        return json.loads(path.read_text(encoding="utf-8"))["outputs"]
    except OSError:
        return None


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
