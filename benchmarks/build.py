"""Build-time benchmark: cold build, warm rebuild, build with execution off, and Ray starts for each.

    python benchmarks/build.py

Not a test: it prints figures and how they compare with the targets (warm <= 1.5 x execution off;
cold <= 1.3 x (the pages' own execution time + Ray start-up)). Runs against a private local Ray, with a
cache directory of its own, so it neither uses nor disturbs your `.cache/`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(site: Path, cache: Path, **env: str) -> tuple[float, str]:
    environment = {**os.environ, "COURS_RAY_CACHE_DIR": str(cache), "NO_MKDOCS_2_WARNING": "1", **env}
    environment.pop("RAY_ADDRESS", None)
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)],
        cwd=cache.parent,  # mkdocs-jupyter keeps its cache in .cache/ under the working directory
        env=environment, capture_output=True, text=True, check=False,
    )
    elapsed = time.perf_counter() - started
    if result.returncode:
        sys.exit(f"La construction a échoué :\n{result.stderr[-4000:]}")
    return elapsed, result.stderr


def figure(log: str, pattern: str) -> float:
    return sum(float(value) for value in re.findall(pattern, log))


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cours-ray-bench-") as scratch:
        site, cache = Path(scratch) / "site", Path(scratch) / "cache"
        cold, cold_log = build(site, cache)
        warm, warm_log = build(site, cache)
        off, off_log = build(site, cache, COURS_RAY_EXECUTE="false")

    starts = {name: int(re.search(r"démarrages de Ray : (\d+)", log)[1]) for name, log in
              (("froid", cold_log), ("chaud", warm_log), ("sans exécution", off_log))}
    executing = figure(cold_log, r"bloc\(s\) exécuté\(s\) en ([\d.]+) s")
    ray_start = figure(cold_log, r"Ray local démarré sur \S+ en ([\d.]+) s")

    print(f"{'construction':<28}{'durée (s)':>10}{'démarrages de Ray':>20}")
    for name, seconds in (("froid (cache vide)", cold), ("chaud (rien n'a changé)", warm), ("sans exécution", off)):
        key = name.split(" (")[0]
        print(f"{name:<28}{seconds:>10.1f}{starts[key]:>20}")
    print(f"\nexécution des pages (froid) : {executing:.1f} s ; démarrage de Ray : {ray_start:.1f} s")
    warm_ratio = warm / off
    cold_ratio = cold / (executing + ray_start)
    print(f"chaud / sans exécution = {warm_ratio:.2f} (cible ≤ 1,5) {'OK' if warm_ratio <= 1.5 else 'MANQUÉ'}")
    print(f"froid / (exécution + démarrage de Ray) = {cold_ratio:.2f} (cible ≤ 1,3) {'OK' if cold_ratio <= 1.3 else 'MANQUÉ'}")


if __name__ == "__main__":
    main()
