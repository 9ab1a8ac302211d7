"""Session fixtures: ONE private local Ray for the whole run, ONE strict build of the site, and the final check
that no process the suite started is left behind.

The build uses the course's own execution cache (.cache/cours-ray, as `mkdocs serve` does): a session whose code,
data and versions did not change since it last ran is not run again. `pytest --page docs/x.md` tests that page
alone (its blocks, snippets, notebooks and claims); the build then takes the other pages from the cache.

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
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import course
from cours_ray.cluster import LocalRay

SESSION_MARKER = "COURS_RAY_TESTS_SESSION"
BUILD_TIMEOUT_S = 480
_leftovers = pytest.StashKey[list]()
_actors = pytest.StashKey[list]()
_cluster = pytest.StashKey[LocalRay]()
_launch_snippets = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--update-outputs"):
        config.option.update_snapshots = True
        if config.getoption("--page"):  # the other pages' tests did not run: their snapshots are not obsolete
            config.option.no_cleanup = True
    unknown = [page for page in config.getoption("--page") if page not in course.pages()]
    if unknown:
        raise pytest.UsageError(f"--page : page(s) introuvable(s) : {unknown} ; pages du cours : {course.pages()}")
    os.environ[SESSION_MARKER] = uuid.uuid4().hex
    # Before anything imports ray, because Ray reads these at import time: without the local-only switch a driver
    # resolves 127.0.0.1 to the machine's address, where the private cluster does not listen; without the token
    # mode it cannot authenticate. The cluster itself starts only when a test needs it (ray_cluster).
    cluster = config.stash[_cluster] = LocalRay()
    os.environ.update(cluster.auth_env())
    config.stash[_leftovers] = []


def _concerns(item: pytest.Item, pages: list[str]) -> bool:
    """A test of one of `pages`: parametrized by it (or by one of its snippets), or in its claims file."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if params.get("page") in pages:
        return True
    if params.get("snippet") and any(params["snippet"] in course.snippets_of(page) for page in pages):
        return True
    stems = {Path(page).relative_to("docs").with_suffix("").as_posix().replace("-", "_").replace("/", "_") for page in pages}
    return item.path.stem in {f"test_claims_{stem}" for stem in stems}


@pytest.hookimpl(trylast=True)  # after -k / -m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if pages := config.getoption("--page"):
        kept = [item for item in items if _concerns(item, pages)]
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept
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
        if cluster.running:  # detached actors outlive their drivers: none may be left by the build or the tests
            pytestconfig.stash[_actors] = cluster.detached_actors()
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
    actors = session.config.stash.get(_actors, [])
    if actors:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"ÉCHEC : des acteurs détachés vivaient encore à la fin de la session : {actors}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if leftovers:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = "\n".join(f"  pid {pid} : {command[:200]}" for pid, command in leftovers)
        if reporter:
            reporter.write("\n")
            reporter.write_line(f"ÉCHEC : des processus démarrés par les tests tournent encore après la session :\n{lines}", red=True, bold=True)
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

    def results(self, page: str) -> course.PageResult:
        """What the build's kernels produced for the page, through the machinery's cache."""
        return course.cached_results(self.cache, page)

    def why_not_executed(self, page: str) -> str:
        errors = "\n".join(self.build.errors) or self.build.log[-3000:]
        return f"{page} n'a pas été exécutée : la construction a échoué (code {self.build.returncode}).\n{errors}"


class StandaloneRuns:
    """`python <snippet>` for every snippet file, from an empty folder, joined to the session's Ray, run one after the
    other in a background thread while the tests that need nothing run. One at a time, because the snippets assert
    what their page says of their own measurements (durations, object store usage), which other programs running at
    the same time would disturb; a run that fails on an `assert` is tried again, at most twice, as the build does."""

    ATTEMPTS = 3

    def __init__(self, snippets: list[str], folders: pytest.TempPathFactory) -> None:
        self.results: dict[str, tuple[int | None, str, Path]] = {}
        self.done = {snippet: threading.Event() for snippet in snippets}
        self._stop = False
        self._thread = threading.Thread(target=self._run_all, args=(snippets, folders), daemon=True)
        self._thread.start()

    def _run_all(self, snippets: list[str], folders: pytest.TempPathFactory) -> None:
        for snippet in snippets:
            for _ in range(self.ATTEMPTS):
                if self._stop:
                    break
                folder = folders.mktemp("standalone")
                code, output = self._run(snippet, folder)
                self.results[snippet] = (code, output, folder)
                if code != 1 or "AssertionError" not in output:
                    break
            self.done[snippet].set()

    @staticmethod
    def _run(snippet: str, folder: Path) -> tuple[int | None, str]:
        try:
            result = subprocess.run(
                [sys.executable, str(course.ROOT / snippet)], cwd=folder, env={**os.environ, "MPLBACKEND": "Agg"},
                capture_output=True, text=True, timeout=course.SNIPPET_TIMEOUT_S, check=False,
            )
        except subprocess.TimeoutExpired as expired:  # subprocess.run has killed it
            return None, f"{expired.stdout or ''}{expired.stderr or ''}"
        return result.returncode, result.stdout + result.stderr

    def wait(self, snippet: str) -> tuple[int | None, str, Path]:
        """(exit code, or None when it ran out of time and was killed; its output; the folder it ran in)."""
        self.done[snippet].wait()
        return self.results[snippet]

    def close(self) -> None:
        self._stop = True
        self._thread.join()


@pytest.fixture(scope="session")
def standalone_runs(ray_cluster: LocalRay, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> StandaloneRuns:
    """Every snippet file (of the pages asked with --page, or all), running standalone in the background."""
    pages = request.config.getoption("--page")
    snippets = [s for page in pages for s in course.snippets_of(page)] if pages else course.snippet_files()
    runs = StandaloneRuns(snippets, tmp_path_factory)
    yield runs
    runs.close()


@pytest.fixture(scope="session", autouse=True)
def _start_snippets_early(request: pytest.FixtureRequest) -> None:
    if request.config.stash.get(_launch_snippets, False):
        request.getfixturevalue("standalone_runs")


@pytest.fixture(scope="session")
def site_build(ray_cluster: LocalRay, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> SiteBuild:
    """One `mkdocs build --strict` of the real site, with the course's own cache (a session that did not change is
    not run again), against the session's Ray, once the standalone snippets are done. Every test about the pages'
    outputs and the built site reads this build."""
    if request.config.stash.get(_launch_snippets, False):
        runs = request.getfixturevalue("standalone_runs")
        for snippet in runs.done:
            runs.wait(snippet)
    scratch = tmp_path_factory.mktemp("site-build")
    env = course.build_env(COURS_RAY_CACHE_DIR=str(course.DEFAULT_CACHE))
    build = course.mkdocs_build(course.ROOT, scratch / "site", env, timeout=BUILD_TIMEOUT_S)
    return SiteBuild(build, scratch / "site", course.DEFAULT_CACHE)


@pytest.fixture(scope="session")
def site(site_build: SiteBuild) -> Path:
    """The built site's folder; the tests that read it fail (rather than error) when the build failed."""
    if not (site_build.site / "index.html").exists():
        pytest.fail(f"le site n'a pas été construit : {site_build.why_not_executed('docs/index.md')}")
    return site_build.site


@pytest.fixture
def scratch_project(tmp_path: Path, ray_cluster: LocalRay):
    """A tiny copy of the course (its mkdocs.yml, the theme's assets) to which a test adds pages and snippets;
    its builds use the session's Ray."""
    return course.ScratchProject(tmp_path)
