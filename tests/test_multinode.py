"""The course built against a real two-node Ray cluster (Ray's own Cluster utility, on 127.0.0.1 only).

Marked `multinode` and left out of the default run for time (about a minute): `.ci/run` runs it with
`pytest -m multinode`.
"""

from __future__ import annotations

import json
import re
import os
import subprocess
import shutil
import sys
from pathlib import Path

import pytest

import nbformat

from cours_ray.cluster import ray_pids_under
from cours_ray.report import REPORT_FILE, BuildReport
from course import ROOT, chapter_notebooks

CHAPTER = "docs/01-les-taches.md"


@pytest.mark.multinode
def test_chapter_1_built_on_two_nodes_runs_its_tasks_on_both(tmp_path):
    report = two_node_report("two_node_build.py", str(tmp_path), timeout=900)
    assert report["returncode"] == 0, report["log"]
    assert len(report["nodes"]) == 2

    page = BuildReport.load(tmp_path / "site" / REPORT_FILE).page(CHAPTER)
    assert {json.dumps(s.cluster) for s in page.sessions} == {json.dumps({"nodes": 2, "cpus": 2})}
    assert "sur un cluster de 2 nœuds" in page.stamp()  # the page says which cluster built it
    notebook = nbformat.read(tmp_path / "site" / chapter_notebooks(CHAPTER).download("solutions"), as_version=4)
    printed = "".join(o.get("text", "") for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs)
    spread = re.search(r"^ *SPREAD\s*: (.*)$", printed, re.M)  # « SPREAD : 1 sur le nœud 1a2b3c4d, 1 sur le nœud … »
    assert spread and len(re.findall(r"sur le nœud [0-9a-f]{8}", spread[1])) == 2, printed[-2000:]  # both nodes used


def two_node_report(script: str, *args: str, timeout: int = 300) -> dict:
    """Run tests/<script> (it starts and stops its own two-node cluster) and read its JSON line; none of the
    cluster's processes may outlive it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    run = subprocess.run(
        [sys.executable, str(ROOT / "tests" / script), *args], env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    leftovers = ray_pids_under(Path(report["ray_dir"]))
    shutil.rmtree(report["ray_dir"], ignore_errors=True)
    assert leftovers == [], "des processus du cluster à deux nœuds tournent encore"
    return report


@pytest.mark.multinode
def test_default_strategy_puts_two_tasks_on_two_nodes_of_two_cpus():
    """Chapter 1: DEFAULT keeps tasks on the local node « tant qu'il est occupé à moins de la moitié »: on a fresh
    cluster of two nodes of two CPUs, the first of two tasks submitted together makes the local node half busy,
    and the second goes to the other node, where filling the local node first would keep both on it."""
    report = two_node_report("two_node_scheduling.py")
    assert report["placed"]["DEFAULT:2"] == [1, 1], report["placed"]


@pytest.mark.multinode
def test_lost_task_result_is_rebuilt_from_its_lineage():
    """Chapter 2: « Si la copie d'un résultat de tâche est perdue, Ray **tente de le reconstruire** … réexécute la tâche qui
    l'avait calculé »: its node removed, the result is still read, the task having run twice."""
    report = two_node_report("two_node_reconstruction.py")
    assert report["total"] == 2**20 and report["executions"] == 2, report
