"""Build-time benchmark: cold build, warm rebuild, build with execution off, and the author's loop under
`mkdocs serve`: one line of one snippet file edited, until the served page shows the change (the median of three
edits).

    python benchmarks/build.py [--snippet snippets/01-les-taches/exercice_1_matrices.py] [--edits 3]

Not a test: it prints figures and how they compare with the targets (warm <= 1.5 x execution off; one-edit rebuild
<= 1.3 x that session's own execution time + 3 s). Works on a copy of the course in a temporary folder, against a
private local Ray, with a cache of its own: it neither uses nor disturbs your `.cache/` or your files.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cours_ray.report import REPORT_FILE, BuildReport  # noqa: E402

COPIED = ("mkdocs.yml", "docs", "snippets", "course-data", "overrides")


def environment(cache: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("RAY_ADDRESS", "COURS_RAY_"))}
    return {**env, "COURS_RAY_CACHE_DIR": str(cache), "NO_MKDOCS_2_WARNING": "1", **extra}


def build(project: Path, site: Path, cache: Path, **env: str) -> tuple[float, BuildReport]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=project, env=environment(cache, **env), capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"La construction a échoué :\n{result.stderr[-4000:]}")
    return elapsed, BuildReport.load(site / REPORT_FILE)


def one_edit_under_serve(project: Path, cache: Path, snippet: str, edits: int) -> tuple[list[float], list[float], str]:
    """For `edits` successive one-line edits: the seconds from each edit until the served page shows it, and the
    edited session's execution time in each rebuild; and the page. (mkdocs serve polls the files every 0.5 s: a
    single edit's figure carries up to half a second of chance.)"""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = open(project / "serve.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=project, env=environment(cache), stdout=log, stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # even when this script runs in the background
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: fetch(f"{base}/{REPORT_FILE}") is not None, 600, "le premier build de mkdocs serve")
        report = BuildReport.from_json(fetch(f"{base}/{REPORT_FILE}"))
        page = next(p for p in report.pages for s in p.sessions if s.name == snippet)
        url = f"{base}/{Path(page.path).relative_to('docs').with_suffix('')}/"
        path = project / snippet
        original = path.read_text(encoding="utf-8")
        printed = re.search(r'print\(f?"([^"{]{6,})', original)
        if printed is None:
            sys.exit(f"{snippet} : aucun print(\"...\") à modifier")
        elapsed, executed = [], []
        for _ in range(edits):
            marker = f"{printed[1]} (modifié {time.time_ns()})"
            edited = original.replace(printed[0], printed[0].replace(printed[1], marker), 1)
            started = time.perf_counter()
            path.write_text(edited, encoding="utf-8")
            wait_for(lambda: marker in (fetch(url) or ""), 600, "la page modifiée")  # noqa: B023
            elapsed.append(time.perf_counter() - started)
            report = BuildReport.from_json(fetch(f"{base}/{REPORT_FILE}"))
            session = next(s for p in report.pages for s in p.sessions if s.name == snippet)
            assert not session.from_cache, "la session modifiée n'a pas été réexécutée"
            executed.append(session.seconds)
            time.sleep(1)  # the served site settles (livereload) before the next edit
        return elapsed, executed, page.path
    finally:
        server.send_signal(signal.SIGINT)  # Ctrl-C: mkdocs serve stops its Ray in order
        server.wait(60)
        log.close()


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(condition, seconds: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"délai dépassé en attendant {what}")
        time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snippet", default="snippets/01-les-taches/exercice_1_matrices.py")
    parser.add_argument("--edits", type=int, default=3, help="modifications successives sous mkdocs serve (médiane)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cours-ray-bench-") as scratch:
        project, cache = Path(scratch) / "cours", Path(scratch) / "cache"
        project.mkdir()
        for name in COPIED:
            source = ROOT / name
            (shutil.copytree if source.is_dir() else shutil.copy)(source, project / name)
        site = Path(scratch) / "site"
        cold, cold_report = build(project, site, cache)
        warm, warm_report = build(project, site, cache)
        off, _ = build(project, site, cache, COURS_RAY_EXECUTE="false")
        edits, sessions, page = one_edit_under_serve(project, cache, args.snippet, args.edits)

    executing = sum(s.seconds or 0 for p in cold_report.pages for s in p.sessions)
    print(f"{'construction':<36}{'durée (s)':>10}{'sessions exécutées':>20}{'démarrages de Ray':>19}")
    print(f"{'froide (cache vide)':<36}{cold:>10.1f}{cold_report.executed_sessions:>20}{cold_report.ray_starts:>19}")
    print(f"{'chaude (rien n’a changé)':<36}{warm:>10.1f}{warm_report.executed_sessions:>20}{warm_report.ray_starts:>19}")
    print(f"{'sans exécution':<36}{off:>10.1f}{0:>20}{0:>19}")
    edit, session = statistics.median(edits), statistics.median(sessions)
    print(f"{'une ligne modifiée (mkdocs serve)':<36}{edit:>10.1f}{1:>20}{'—':>19}")
    print(f"\nexécution des sessions (froide) : {executing:.1f} s ; {args.snippet} ({page}), réexécutée sous mkdocs serve : {session:.1f} s (médiane)")
    print(f"une ligne modifiée, {len(edits)} fois : " + ", ".join(f"{e:.1f} s (session {s:.1f} s)" for e, s in zip(edits, sessions)))
    warm_ratio = warm / off
    target = 1.3 * session + 3
    print(f"chaude / sans exécution = {warm_ratio:.2f} (cible ≤ 1,5) {'OK' if warm_ratio <= 1.5 else 'MANQUÉ'}")
    print(f"une ligne modifiée (médiane) : {edit:.1f} s ; cible ≤ 1,3 × {session:.1f} + 3 = {target:.1f} s {'OK' if edit <= target else 'MANQUÉ'}")


if __name__ == "__main__":
    main()
