"""Find a page's executable Python blocks and expand their snippets, remembering where each line comes from.

Expansion goes through pymdownx.snippets itself, configured like in mkdocs.yml, so the code run here is
exactly the code the page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import yaml

FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{?[ \t]*\.?(?P<lang>[\w+-]*)(?P<attrs>[^`]*?)\}?[ \t]*$")
_EXEC_ON = re.compile(r"""\bexec\s*=\s*["']?(on|1|true|yes)["']?""", re.IGNORECASE)


def is_executable(lang: str, attrs: str) -> bool:
    """A fence that the build runs: ```python exec="on"``` (markdown-exec's syntax)."""
    return lang in ("python", "py") and bool(_EXEC_ON.search(attrs or ""))


def fence_closing(fence: str) -> re.Pattern:
    """The line that closes a fence opened by `fence` (``` or ~~~, at least as long)."""
    return re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
_SNIPPET_LINE = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+(?P<quote>["'])(?P<target>[^"']+)(?P=quote)[ \t]*$""")


@dataclass(frozen=True)
class Origin:
    """Where one line of executed code was written: a file (relative to the repo) and its 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}, ligne {self.line}"


@dataclass
class Block:
    """One executable block of a page, snippets expanded."""

    number: int  # 1-based, in document order
    page_line: int  # line of the opening fence in the page
    code: str
    origins: list[Origin]  # one per line of `code`
    files: list[str] = field(default_factory=list)  # snippet files it includes, relative to the repo

    @property
    def main_file(self) -> str | None:
        return self.files[0] if self.files else None


class SnippetError(Exception):
    """A snippet file or section cannot be found."""


def load_snippet_config(config_file: Path) -> dict:
    """The pymdownx.snippets settings of mkdocs.yml, with `!relative` base paths resolved."""

    class _Loader(yaml.SafeLoader):
        pass

    base_dir = str(config_file.parent)
    _Loader.add_constructor("!relative", lambda loader, node: base_dir)
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda loader, suffix, node: None)
    _Loader.add_constructor("!ENV", lambda loader, node: None)
    data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_Loader)
    for entry in data.get("markdown_extensions", []):
        if isinstance(entry, dict) and "pymdownx.snippets" in entry:
            return dict(entry["pymdownx.snippets"] or {})
    raise SnippetError(f"{config_file} : l'extension pymdownx.snippets n'est pas configurée")


class SnippetExpander:
    """Expands `--8<--` lines with pymdownx.snippets, and maps each resulting line to its file and line."""

    def __init__(self, snippet_config: dict, root: Path) -> None:
        self.root = root.resolve()
        config = dict(snippet_config)
        config["check_paths"] = True
        md = markdown.Markdown(extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": config})
        self._pre = md.preprocessors["snippet"]

    def resolve(self, target: str) -> tuple[Path, str | None]:
        """The file a snippet target names, and its section (or None for the whole file)."""
        parsed = self._pre.parse_snippet_target(target)
        path = parsed and self._pre.get_snippet_path(parsed["path"])
        if not path:
            raise SnippetError(f"extrait introuvable : « {target} »")
        if parsed["start"] or parsed["end"]:
            raise SnippetError(f"« {target} » : seules les sections nommées sont prises en charge, pas les numéros de ligne")
        return Path(path), parsed["section"]

    def expand(self, line: str) -> tuple[list[str], list[Origin], str]:
        """Expand one `--8<-- "file[:section]"` line: its lines, their origins, the file relative to the repo."""
        match = _SNIPPET_LINE.match(line)
        assert match, line
        path, section = self.resolve(match["target"])
        self._pre.seen = set()
        try:
            lines = self._pre.parse_snippets([line])
        except Exception as error:  # pymdownx raises SnippetMissingError, a plain Exception
            if section:
                raise SnippetError(f"« {match['target']} » : section « {section} » introuvable dans {self.relative(path)}") from error
            raise SnippetError(f"« {match['target']} » : {error}") from error
        if section and not lines:
            raise SnippetError(f"« {match['target']} » : la section « {section} » est vide")
        relative = self.relative(path)
        file_lines = path.read_text(encoding="utf-8").split("\n")
        origins, cursor = [], 0
        if section:  # a line of the section may also appear earlier in the file: start at the section's marker
            cursor = next(
                (i + 1 for i, text in enumerate(file_lines)
                 if (m := self._pre.match_section(text)) and m.group("type") == "start" and m.group("name") == section),
                0,
            )
        for expanded in lines:
            while cursor < len(file_lines) and file_lines[cursor] != expanded:
                cursor += 1
            if cursor == len(file_lines):  # cannot happen unless pymdownx rewrote the line
                raise SnippetError(f"{relative} : ligne développée introuvable dans le fichier : {expanded!r}")
            origins.append(Origin(relative, cursor + 1))
            cursor += 1
        return lines, origins, relative

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def executable_blocks(text: str, page: str, expander: SnippetExpander) -> list[Block]:
    """Every ```python exec="on"``` block of a page, in document order, snippets expanded."""
    blocks: list[Block] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        opening = FENCE_OPEN.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, fence = opening["indent"], opening["fence"]
        end = i + 1
        closing = fence_closing(fence)
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        is_exec = is_executable(opening["lang"], opening["attrs"])
        if is_exec:
            code_lines: list[str] = []
            origins: list[Origin] = []
            files: list[str] = []
            for number in range(i + 1, end):
                body = lines[number]
                body = body[len(indent):] if body.startswith(indent) else body.lstrip()
                if _SNIPPET_LINE.match(body):
                    expanded, expanded_origins, relative = expander.expand(body)
                    code_lines += expanded
                    origins += expanded_origins
                    files.append(relative)
                else:
                    code_lines.append(body)
                    origins.append(Origin(page, number + 1))
            blocks.append(Block(len(blocks) + 1, i + 1, "\n".join(code_lines), origins, files))
        i = end + 1
    return blocks
