"""`python -m cours_ray execute`: runs every page's sessions (or takes them from the cache), without MkDocs.

    python -m cours_ray execute [-f mkdocs.yml] [--page docs/page.md ...]

Fills the same cache as `mkdocs build` (the cours-ray settings of mkdocs.yml: cache_dir, timeout...), so a build
that follows executes nothing. Exits with 1, and the French message that names the page and line, on failure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cours_ray.execute import Execution, ExecutionError, Project
from cours_ray.snippets import read_config


def _settings(config_file: Path) -> dict:
    for plugin in read_config(config_file).get("plugins", []):
        if isinstance(plugin, dict) and "cours-ray" in plugin:
            return plugin["cours-ray"] or {}
    return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cours_ray", description="Exécute les sessions des pages du cours.")
    commands = parser.add_subparsers(dest="command", required=True)
    execute = commands.add_parser("execute", help="exécute (ou prend dans le cache) les sessions de chaque page")
    execute.add_argument("-f", "--config-file", type=Path, default=Path("mkdocs.yml"))
    execute.add_argument("--page", action="append", default=[], help="seulement cette page (docs/....md) ; répétable")
    args = parser.parse_args(argv)

    settings = _settings(args.config_file)
    project = Project(args.config_file)
    cache = project.root / (settings.get("cache_dir") or ".cache/cours-ray") if settings.get("cache", True) else None
    pages = args.page or project.page_paths()
    try:
        with Execution(project, cache_dir=cache, timeout=float(settings.get("timeout") or 300), report=print) as execution:
            for path in pages:
                execution.run(project.parse(path))
    except ExecutionError as error:
        print(f"cours-ray\u202f: {error}", file=sys.stderr)
        return 1
    print(f"{execution.executed_sessions} session(s) exécutée(s), {execution.cached_sessions} prise(s) dans le cache.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
