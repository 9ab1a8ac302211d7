"""Execution cache: a page's outputs, kept as long as nothing that could change them has changed.

The key covers the code that runs (snippets expanded), the snippet file each block runs as, the page's data
folder `course-data/<page>/`, the versions of Python and of the libraries the code uses, the cluster chosen by
RAY_ADDRESS, and this machinery's own source.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

from cours_ray.pages import Block

FORMAT = 1
_VERSIONED = ("ray", "numpy", "matplotlib", "markdown-exec")
# The modules that decide what runs and how: a change to the rendering or to the notebooks keeps the cache.
_EXECUTION_MODULES = ("cache.py", "checks.py", "cluster.py", "kernel.py", "pages.py", "ray_head.py", "runner.py")


def _environment_fingerprint() -> dict:
    machinery = hashlib.sha256()
    for name in _EXECUTION_MODULES:
        machinery.update((Path(__file__).parent / name).read_bytes())
    return {
        "format": FORMAT,
        "python": sys.version,
        "packages": {name: version(name) for name in _VERSIONED},
        "ray_address": os.environ.get("RAY_ADDRESS", ""),
        "machinery": machinery.hexdigest(),
    }


def data_folder(root: Path, page: str) -> Path:
    """The data a page's code may read: `course-data/` mirrors `docs/` (docs/x/y.md -> course-data/x/y/)."""
    relative = Path(page).relative_to("docs").with_suffix("")
    return root / "course-data" / relative


def page_key(root: Path, page: str, blocks: list[Block]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(_environment_fingerprint(), sort_keys=True).encode())
    digest.update(page.encode())
    for block in blocks:
        digest.update(json.dumps([block.main_file, block.code]).encode())
    folder = data_folder(root, page)
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class ExecutionCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _file(self, page: str) -> Path:
        return self.directory / (page.replace("/", "__") + ".json")

    def load(self, page: str, key: str) -> list[dict] | None:
        try:
            entry = json.loads(self._file(page).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return entry["outputs"] if entry.get("key") == key else None

    def store(self, page: str, key: str, outputs: list[dict]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._file(page)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"key": key, "outputs": outputs}), encoding="utf-8")
        partial.replace(target)
