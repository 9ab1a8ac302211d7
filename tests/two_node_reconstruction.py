"""A task's result lost with the node that held it, then rebuilt by Ray from its lineage (chapter 2).

    python tests/two_node_reconstruction.py

Run by tests/test_multinode.py in a fresh process (Ray reads its local-only switch when it is imported): a cluster of
two nodes on 127.0.0.1; a task runs on the second node and leaves its result there; the node is removed, a new one
joins; `ray.get` must still give the value, the task having run a second time. Prints one JSON line.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from two_node_cluster import private_ray_dir  # before Ray: its private environment

import numpy as np  # noqa: E402
import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402


def main() -> None:
    ray_dir = private_ray_dir("cray-2r-")
    runs = Path(tempfile.mkdtemp()) / "executions.txt"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False, "temp_dir": ray_dir})
    try:
        worker = cluster.add_node(num_cpus=1, resources={"ailleurs": 1})
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False)

        @ray.remote(resources={"ailleurs": 1}, max_retries=3)
        def gros_resultat():
            with open(runs, "a") as journal:
                journal.write("x")
            return np.ones(2**20)  # 8 Mio: dans le magasin d'objets du nœud qui l'a calculé

        ref = gros_resultat.remote()
        ray.wait([ref], fetch_local=False)  # prêt, mais resté sur l'autre nœud
        cluster.remove_node(worker)
        cluster.add_node(num_cpus=1, resources={"ailleurs": 1})
        cluster.wait_for_nodes()
        total = float(ray.get(ref, timeout=120).sum())
        ray.shutdown()
    finally:
        cluster.shutdown()
    print(json.dumps({"total": total, "executions": len(runs.read_text()), "ray_dir": ray_dir}))


if __name__ == "__main__":
    main()
