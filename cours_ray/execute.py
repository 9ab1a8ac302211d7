"""Runs the sessions of the course's pages, each in a fresh Jupyter kernel, or takes them from the cache.

One Ray serves every session of a build: the cluster RAY_ADDRESS names on purpose, a private local Ray that
RAY_ADDRESS names because cours-ray started it (a test session's), or else a private local Ray started here on
the first session that has to run and stopped by `close()`. Nothing here imports MkDocs.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

from cours_ray.cache import ExecutionCache, SessionEntry, session_key
from cours_ray.checks import prints_in_remote_code
from cours_ray.cluster import (
    PRIVATE_ENV,
    ClusterError,
    LocalRay,
    check_reachable,
    describe_requested_cluster,
    machine_fingerprint,
    private_local_cluster,
    requested_address,
)
from cours_ray.pages import Page, PageError, Session, parse_page
from cours_ray.session import SessionError, run_session
from cours_ray.snippets import SnippetError, SnippetExpander, load_snippet_config, read_config

log = logging.getLogger("cours_ray")
# A session whose block fails on an `assert` runs again, in a fresh kernel, at most this many more times: the
# asserts of a page's code check what its prose says about measured durations, and a measurement can be unlucky
# (another program took the CPU). Every other failure fails at once.
ASSERTION_RETRIES = 2


class ExecutionError(Exception):
    """A page cannot be parsed or executed; the message, in French, names the page, the block, the file and line."""


class Project:
    """A course on disk: its mkdocs.yml (for the docs folder and the snippets' settings) and its pages."""

    def __init__(self, config_file: Path) -> None:
        self.config_file = config_file.resolve()
        self.root = self.config_file.parent
        self.docs = self.root / (read_config(self.config_file).get("docs_dir") or "docs")
        self.expander = SnippetExpander(load_snippet_config(self.config_file), self.root)

    def page_paths(self) -> list[str]:
        return sorted(p.relative_to(self.root).as_posix() for p in self.docs.rglob("*.md"))

    def parse(self, path: str, text: str | None = None) -> Page:
        text = (self.root / path).read_text(encoding="utf-8") if text is None else text
        try:
            return parse_page(text, path, self.expander)
        except (PageError, SnippetError) as error:
            raise ExecutionError(str(error)) from None


@dataclass
class SessionResult:
    session: Session
    entry: SessionEntry | None  # None when execution is off
    from_cache: bool


@dataclass
class PageResult:
    page: Page
    sessions: list[SessionResult]

    def outputs(self, block_id: str) -> list[dict] | None:
        """The nbformat outputs of a block, or None when it was not executed."""
        for result in self.sessions:
            if result.entry is not None and block_id in result.entry.outputs:
                return result.entry.outputs[block_id]
        return None

    @property
    def executed(self) -> bool:
        return all(result.entry is not None for result in self.sessions)


class Execution:
    """Executes (or takes from the cache) every session of the pages it is given, against one Ray."""

    def __init__(
        self,
        project: Project,
        *,
        cache_dir: Path | None,
        timeout: float,
        execute: bool = True,
        local_ray: LocalRay | None = None,
        report: Callable[[str], None] = log.info,
    ) -> None:
        """`local_ray`: a private local Ray to start when needed and keep (mkdocs serve keeps one across builds);
        without it, the Execution starts its own when needed and `close()` stops it."""
        self.project, self.timeout, self.execute, self.report = project, timeout, execute, report
        self.cache = ExecutionCache(cache_dir) if cache_dir else None
        self._owns_ray = local_ray is None
        self.local_ray = local_ray or LocalRay()
        self._cluster: dict | None = None
        self.executed_sessions = 0
        self.cached_sessions = 0
        if execute and requested_address() and private_local_cluster() is None:
            try:
                check_reachable(requested_address())
            except ClusterError as error:
                raise ExecutionError(str(error)) from None

    @property
    def cluster_identity(self) -> str:
        """The cluster, as the cache key sees it: the one named on purpose, or this machine for a local Ray."""
        if requested_address() and private_local_cluster() is None:
            return f"cluster:{requested_address()}"
        return machine_fingerprint()

    def cached(self, page: Page) -> PageResult:
        """What the cache holds for the page's sessions, executing nothing (entry None where it holds nothing)."""
        return PageResult(page, [SessionResult(session, self._lookup(page, session), True) for session in page.sessions])

    def _lookup(self, page: Page, session: Session) -> SessionEntry | None:
        if self.cache is None:
            return None
        return self.cache.load(page.path, session.name, session_key(self.project.root, page, session, self.cluster_identity))

    def run(self, page: Page) -> PageResult:
        results = []
        for session in page.sessions:
            if not self.execute:
                results.append(SessionResult(session, None, False))
                continue
            key = session_key(self.project.root, page, session, self.cluster_identity)
            entry = self.cache.load(page.path, session.name, key) if self.cache else None
            if entry is not None:
                self.cached_sessions += 1
                results.append(SessionResult(session, entry, True))
                continue
            entry = self._execute(page, session, key)
            if self.cache:
                self.cache.store(entry)
            results.append(SessionResult(session, entry, False))
        return PageResult(page, results)

    def _execute(self, page: Page, session: Session, key: str) -> SessionEntry:
        for block in session.blocks:
            for line in prints_in_remote_code(block.code):
                raise ExecutionError(
                    f"{page.path}, bloc {block.number}, {block.origins[line - 1]} : print() dans une tâche "
                    "ou un acteur Ray ; sa sortie n'atteint pas la page. Renvoyez la valeur et affichez-la côté driver."
                )
        env = self._kernel_env()
        for attempt in range(1 + ASSERTION_RETRIES):
            executed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
            try:
                run = run_session(page, session, cwd=self.project.root, env=env, timeout=self.timeout)
                break
            except SessionError as error:
                if error.ename != "AssertionError" or attempt == ASSERTION_RETRIES:
                    tries = f"\n\n(la même assertion a échoué à chacun des {attempt + 1} essais)" if attempt else ""
                    raise ExecutionError(f"{error}{tries}") from None
                self.report(f"{page.path}, session {session.name} : une assertion a échoué, nouvel essai ({error.args[0].splitlines()[0]})")
        self.executed_sessions += 1
        if not requested_address():  # our own Ray: nothing may outlive the session that made it
            left = self.local_ray.detached_actors()
            if left:
                names = ", ".join(f"{a['class']}" + (f" (nommé « {a['name']} »)" if a["name"] else "") for a in left)
                raise ExecutionError(
                    f"{page.path}, session {session.name} : des acteurs détachés sont encore vivants à la fin de la "
                    f"session : {names}. Tuez-les avec ray.kill avant la fin du fichier d'exemple."
                )
        self.report(f"{page.path}, session {session.name} : {len(session.blocks)} bloc(s) exécuté(s) en {run.total_seconds:.1f} s")
        return SessionEntry(
            key=key,
            page=page.path,
            session=session.name,
            outputs=run.outputs,
            block_seconds=run.seconds,
            seconds=run.total_seconds,
            executed_at=executed_at,
            python=platform.python_version(),
            ray=version("ray"),
            cluster=dict(self._cluster or {}),
        )

    def _kernel_env(self) -> dict[str, str]:
        # The kernel picks Jupyter's inline backend itself, as for the learner (a build's MPLBACKEND would hide figures).
        env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning in the kernel's log
        if requested_address():
            env.update(RAY_USAGE_STATS_ENABLED=PRIVATE_ENV["RAY_USAGE_STATS_ENABLED"])
            if self._cluster is None:
                self._cluster = private_local_cluster() or self._describe(env)
            return env
        if not (self.local_ray.running and self.local_ray.address):
            started = time.monotonic()
            try:
                self.local_ray.start()
            except ClusterError as error:
                raise ExecutionError(str(error)) from None
            self.report(f"Ray local prêt sur {self.local_ray.address} ({time.monotonic() - started:.1f} s d'attente)")
        self._cluster = self.local_ray.description
        env.update(self.local_ray.client_env())
        return env

    def _describe(self, env: dict[str, str]) -> dict:
        try:
            return describe_requested_cluster(env)
        except ClusterError as error:
            raise ExecutionError(str(error)) from None

    def close(self) -> None:
        if self._owns_ray:
            self.local_ray.stop()

    def __enter__(self) -> Execution:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
