"""Session fixtures: ONE private local Ray for the whole run, ONE strict build of the site, and the final check
that no process the suite started is left behind.

Order of a full run (pytest_collection_modifyitems): the snippet files start running standalone, in the
background, as soon as the session starts, while the tests that need neither them nor the build run; then the
build, on a Ray that nothing else uses (its outputs, such as how many workers a warm-up obtained, must not
depend on other load); then the tests that read it; the timing tests last, on a quiet machine.

Every process the suite starts (builds, kernels, snippets, Ray itself and its workers) inherits the
COURS_RAY_TESTS_SESSION marker from this process's environment; at the end, none may still be running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import course
from cours_ray.cluster import LocalRay

SESSION_MARKER = "COURS_RAY_TESTS_SESSION"
BUILD_TIMEOUT_S = 480
_leftovers = pytest.StashKey[list]()
_cluster = pytest.StashKey[LocalRay]()
_launch_snippets = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-outputs",
        action="store_true",
        help="réécrit tests/outputs/ à partir des sorties de la construction (après un changement voulu)",
    )


def pytest_configure(config: pytest.Config) -> None:
    os.environ[SESSION_MARKER] = uuid.uuid4().hex
    # Before anything imports ray, because Ray reads these at import time: without the local-only switch a driver
    # resolves 127.0.0.1 to the machine's address, where the private cluster does not listen; without the token
    # mode it cannot authenticate. The cluster itself starts only when a test needs it (ray_cluster).
    cluster = config.stash[_cluster] = LocalRay()
    os.environ.update(cluster.auth_env())
    config.stash[_leftovers] = []


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> tuple[bool, bool, bool, bool]:
        fixtures = getattr(item, "fixturenames", ())
        return (
            item.get_closest_marker("slow") is not None,
            "site_build" in fixtures,
            item.name != "test_strict_build_succeeds",  # first reader of the build: it carries the build's duration
            "standalone_runs" in fixtures,  # waits for the background runs: after the tests that need nothing
        )

    items.sort(key=rank)
    config.stash[_launch_snippets] = any("standalone_runs" in getattr(item, "fixturenames", ()) for item in items)


# --- Ray -----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def ray_cluster(pytestconfig: pytest.Config):
    """The session's private Ray, exported to os.environ so that every subprocess's `ray.init()` joins it."""
    cluster = pytestconfig.stash[_cluster]
    try:
        os.environ.update(cluster.start())
        yield cluster
    finally:
        os.environ.pop("RAY_ADDRESS", None)
        cluster.stop()
        pytestconfig.stash[_leftovers] += [(pid, "processus du Ray de la session") for pid in cluster.leftover_pids()]


@pytest.fixture(scope="session")
def ray_driver(ray_cluster: LocalRay):
    """This pytest process as a Ray driver of the session's cluster (for the claims that call tasks)."""
    import ray

    ray.init(logging_level=logging.ERROR, log_to_driver=False)
    yield ray
    ray.shutdown()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A real failure when a process the suite started outlives it; such processes are then killed (by pid)."""
    leftovers = session.config.stash.get(_leftovers, [])
    leftovers += course.wait_for_no_process(f"{SESSION_MARKER}={os.environ.get(SESSION_MARKER)}")
    if leftovers:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(f"  pid {pid} : {command[:200]}" for pid, command in leftovers)
        if reporter:
            reporter.write("\n")
            reporter.write_line(f"ÉCHEC : des processus démarrés par les tests tournent encore après la session :\n{lines}", red=True, bold=True)
        for pid, _ in leftovers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


# --- the site, built once --------------------------------------------------------------------------------


@dataclass
class SiteBuild:
    build: course.Build
    site: Path
    cache: Path

    def outputs(self, page: str) -> list[dict] | None:
        return course.cache_outputs(self.cache, page)

    def why_not_executed(self, page: str) -> str:
        errors = "\n".join(self.build.errors) or self.build.log[-3000:]
        return f"{page} n'a pas été exécutée : la construction a échoué (code {self.build.returncode}).\n{errors}"


class StandaloneRun:
    """`python <snippet>` started in the background, from an empty folder, joined to the session's Ray."""

    def __init__(self, snippet: str, folder: Path, logs: Path) -> None:
        self.snippet, self.folder, self.result = snippet, folder, None
        self.deadline = time.monotonic() + course.SNIPPET_TIMEOUT_S
        self.log = logs / (snippet.replace("/", "__") + ".log")
        with open(self.log, "wb") as log:  # a file, not a pipe: nothing can block while nobody reads
            self.process = subprocess.Popen(
                [sys.executable, str(course.ROOT / snippet)], cwd=folder, env={**os.environ, "MPLBACKEND": "Agg"},
                stdout=log, stderr=subprocess.STDOUT,
            )

    def wait(self) -> tuple[int | None, str]:
        """(exit code, or None when it ran out of time and was killed; its output)."""
        if self.result is None:
            try:
                self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            code = None if self.process.returncode == -signal.SIGKILL else self.process.returncode
            self.result = (code, self.log.read_text(encoding="utf-8", errors="replace"))
        return self.result


@pytest.fixture(scope="session")
def standalone_runs(ray_cluster: LocalRay, tmp_path_factory: pytest.TempPathFactory) -> dict[str, StandaloneRun]:
    """Every snippet file, running standalone, all at once (their outputs are not compared, only their asserts
    and exit codes count, so the load they put on each other is harmless)."""
    logs = tmp_path_factory.mktemp("standalone-logs")
    runs = {snippet: StandaloneRun(snippet, tmp_path_factory.mktemp("standalone"), logs) for snippet in course.snippet_files()}
    yield runs
    for run in runs.values():
        run.wait()


@pytest.fixture(scope="session", autouse=True)
def _start_snippets_early(request: pytest.FixtureRequest) -> None:
    if request.config.stash.get(_launch_snippets, False):
        request.getfixturevalue("standalone_runs")


@pytest.fixture(scope="session")
def site_build(ray_cluster: LocalRay, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> SiteBuild:
    """One `mkdocs build --strict` of the real site, with an empty cache so that every block runs, against the
    session's Ray, once the standalone snippets are done. Every test about the pages' outputs and the built site
    reads this build."""
    if request.config.stash.get(_launch_snippets, False):
        for run in request.getfixturevalue("standalone_runs").values():
            run.wait()
    scratch = tmp_path_factory.mktemp("site-build")
    env = course.build_env(COURS_RAY_CACHE_DIR=str(scratch / "cache"))
    build = course.mkdocs_build(course.ROOT, scratch / "site", env, timeout=BUILD_TIMEOUT_S)
    return SiteBuild(build, scratch / "site", scratch / "cache")


@pytest.fixture(scope="session")
def site(site_build: SiteBuild) -> Path:
    """The built site's folder; the tests that read it fail (rather than error) when the build failed."""
    if not (site_build.site / "index.html").exists():
        pytest.fail(f"le site n'a pas été construit : {site_build.why_not_executed('docs/index.md')}")
    return site_build.site


@pytest.fixture(scope="session")
def expected_outputs(site_build: SiteBuild, pytestconfig: pytest.Config) -> dict[str, dict[int, course.Section]]:
    """tests/outputs/*.txt, first rewritten from the build when pytest runs with --update-outputs."""
    if pytestconfig.getoption("--update-outputs"):
        wanted = set()
        for page in course.pages():
            blocks, _ = course.page_blocks(page)
            outputs = site_build.outputs(page)
            if blocks and outputs is not None:
                path = course.outputs_file(page)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(course.render_outputs(page, outputs), encoding="utf-8")
            if blocks:
                wanted.add(course.outputs_file(page))
        for stale in set(course.OUTPUTS.rglob("*.txt")) - wanted:
            stale.unlink()
    expected = {}
    for page in course.pages():
        path = course.outputs_file(page)
        if path.exists():
            expected[page] = course.parse_outputs(path.read_text(encoding="utf-8"))
    return expected


@pytest.fixture
def scratch_project(tmp_path: Path, ray_cluster: LocalRay):
    """A tiny copy of the course (its mkdocs.yml, the theme's assets) to which a test adds pages and snippets;
    its builds use the session's Ray."""
    return course.ScratchProject(tmp_path)
