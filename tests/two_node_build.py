"""Builds the site against a two-node Ray cluster on loopback, made with Ray's own `ray.cluster_utils.Cluster`.

    python tests/two_node_build.py WORK_DIR

Run by tests/test_multinode.py in a fresh process, because Ray reads its local-only switch when it is
imported. Prints one JSON line: the build's exit code and log tail, and the cluster's node ids.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    work = Path(sys.argv[1])
    from two_node_cluster import private_ray_dir  # before Ray: its private environment

    from ray.cluster_utils import Cluster

    ray_dir = private_ray_dir("cray-2n-")
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": ray_dir},
    )
    try:
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        env = {
            **os.environ,
            "RAY_ADDRESS": cluster.address,
            "COURS_RAY_CACHE_DIR": str(work / "cache"),
            "NO_MKDOCS_2_WARNING": "1",
        }
        build = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(work / "site")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
        )
        nodes = [node.node_id for node in cluster.list_all_nodes()]
    finally:
        cluster.shutdown()
    print(json.dumps({"returncode": build.returncode, "log": build.stderr[-5000:], "nodes": nodes, "ray_dir": ray_dir}))
    # Leftover processes would still name ray_dir on their command line: the test looks for them before removing it.


if __name__ == "__main__":
    main()
