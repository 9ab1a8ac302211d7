"""Execution cache: one entry per session of a page, kept as long as nothing that could change its outputs changed.

A session's key covers its code (snippets expanded, block by block), its snippet files, the page's data folder
`course-data/<page>/`, the versions of Python and of the libraries the code and the kernel use, the cluster (a
cluster named on purpose by RAY_ADDRESS, or this machine's CPUs for a private local Ray), and this machinery's
own source. Editing one exercise changes one session's key: only that session runs again.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

from cours_ray.pages import Page, Session

FORMAT = 2
_VERSIONED = ("ray", "numpy", "matplotlib", "ipykernel", "ipython", "nbclient", "jupyter_client")
# The modules that decide what runs and how: a change to the rendering or to the notebooks keeps the cache.
_EXECUTION_MODULES = ("cache.py", "checks.py", "cluster.py", "execute.py", "pages.py", "ray_head.py", "session.py", "snippets.py")


def environment_fingerprint(cluster: str) -> dict:
    machinery = hashlib.sha256()
    for name in _EXECUTION_MODULES:
        machinery.update((Path(__file__).parent / name).read_bytes())
    return {
        "format": FORMAT,
        "python": sys.version,
        "packages": {name: version(name) for name in _VERSIONED},
        "cluster": cluster,
        "machinery": machinery.hexdigest(),
    }


def data_folder(root: Path, page: str) -> Path:
    """The data a page's code may read: `course-data/` mirrors `docs/` (docs/x/y.md -> course-data/x/y/)."""
    return root / "course-data" / Path(page).relative_to("docs").with_suffix("")


def session_key(root: Path, page: Page, session: Session, cluster: str) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(environment_fingerprint(cluster), sort_keys=True).encode())
    digest.update(json.dumps([page.path, session.name, [[block.id, block.code] for block in session.blocks]]).encode())
    for name in session.files:
        digest.update(name.encode())
        digest.update(hashlib.sha256((root / name).read_bytes()).digest())
    folder = data_folder(root, page.path)
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@dataclass
class SessionEntry:
    """What one execution of a session produced, and where and when."""

    key: str
    page: str
    session: str
    outputs: dict[str, list[dict]]  # block id -> nbformat outputs, in the block's order
    block_seconds: dict[str, float]
    seconds: float  # the whole session: kernel start, blocks, kernel shutdown
    executed_at: str  # ISO 8601, UTC
    python: str
    ray: str
    cluster: dict = field(default_factory=dict)  # {"nodes": 1, "cpus": 2}


class ExecutionCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _file(self, page: str, session: str) -> Path:
        return self.directory / page.replace("/", "__") / (session.replace("/", "__") + ".json")

    def load(self, page: str, session: str, key: str) -> SessionEntry | None:
        try:
            entry = json.loads(self._file(page, session).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if entry.get("key") != key:
            return None
        try:
            return SessionEntry(**entry)
        except TypeError:  # an entry of another shape
            return None

    def store(self, entry: SessionEntry) -> None:
        target = self._file(entry.page, entry.session)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(asdict(entry)), encoding="utf-8")
        partial.replace(target)
