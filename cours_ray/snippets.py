"""Expand `--8<--` lines with pymdownx.snippets itself, remembering which file and line each code line comes from.

Expansion goes through pymdownx.snippets, configured like in mkdocs.yml, so the code run is exactly the code the
page shows.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import markdown
import yaml

SNIPPET_LINE = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+(?P<quote>["'])(?P<target>[^"']+)(?P=quote)[ \t]*$""")
SECTION_MARK = re.compile(r"^\s*#\s*-{1,}8<-{1,}\s*\[(?P<kind>start|end):(?P<name>[^\]]+)\]\s*$")


@dataclass(frozen=True)
class Origin:
    """Where one line of executed code was written: a file (relative to the repo) and its 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}, ligne {self.line}"


class SnippetError(Exception):
    """A snippet file or section cannot be found."""


def load_snippet_config(config_file: Path) -> dict:
    """The pymdownx.snippets settings of mkdocs.yml, with `!relative` base paths resolved."""
    for entry in read_config(config_file).get("markdown_extensions", []):
        if isinstance(entry, dict) and "pymdownx.snippets" in entry:
            return dict(entry["pymdownx.snippets"] or {})
    raise SnippetError(f"{config_file} : l'extension pymdownx.snippets n'est pas configurée")


def read_config(config_file: Path) -> dict:
    """mkdocs.yml read as plain YAML (MkDocs' own tags resolved or ignored): the machinery needs no MkDocs."""

    class _Loader(yaml.SafeLoader):
        pass

    base_dir = str(config_file.parent)
    _Loader.add_constructor("!relative", lambda loader, node: base_dir)
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/name:", lambda loader, suffix, node: None)
    _Loader.add_constructor("!ENV", _environment_value)
    return yaml.load(config_file.read_text(encoding="utf-8"), Loader=_Loader) or {}


def _environment_value(loader: yaml.SafeLoader, node: yaml.Node):  # noqa: ANN202
    """MkDocs' `!ENV VAR` and `!ENV [VAR, ..., default]`."""
    if isinstance(node, yaml.ScalarNode):
        return os.environ.get(loader.construct_scalar(node))
    *names, default = loader.construct_sequence(node)
    value = next((os.environ[name] for name in names if name in os.environ), None)
    return default if value is None else yaml.safe_load(value)


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
            raise SnippetError(f"extrait introuvable : « {target} »")
        if parsed["start"] or parsed["end"]:
            raise SnippetError(f"« {target} » : seules les sections nommées sont prises en charge, pas les numéros de ligne")
        return Path(path), parsed["section"]

    def expand(self, line: str) -> tuple[list[str], list[Origin], str]:
        """Expand one `--8<-- "file[:section]"` line: its lines, their origins, the file relative to the repo."""
        match = SNIPPET_LINE.match(line)
        assert match, line
        path, section = self.resolve(match["target"])
        self._pre.seen = set()
        try:
            lines = self._pre.parse_snippets([line])
        except Exception as error:  # pymdownx raises SnippetMissingError, a plain Exception
            if section:
                raise SnippetError(f"« {match['target']} » : section « {section} » introuvable dans {self.relative(path)}") from error
            raise SnippetError(f"« {match['target']} » : {error}") from error
        if section and not lines:
            raise SnippetError(f"« {match['target']} » : la section « {section} » est vide")
        relative = self.relative(path)
        file_lines = path.read_text(encoding="utf-8").split("\n")
        origins, cursor = [], 0
        if section:  # a line of the section may also appear earlier in the file: start at the section's marker
            cursor = next(
                (i + 1 for i, text in enumerate(file_lines)
                 if (m := SECTION_MARK.match(text)) and m["kind"] == "start" and m["name"] == section),
                0,
            )
        for expanded in lines:
            while cursor < len(file_lines) and file_lines[cursor] != expanded:
                cursor += 1
            if cursor == len(file_lines):  # cannot happen unless pymdownx rewrote the line
                raise SnippetError(f"{relative} : ligne développée introuvable dans le fichier : {expanded!r}")
            origins.append(Origin(relative, cursor + 1))
            cursor += 1
        return lines, origins, relative

    def relative(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)
