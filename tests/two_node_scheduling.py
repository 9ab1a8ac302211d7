"""Where Ray's DEFAULT strategy puts tasks on a local cluster of two nodes of two CPUs each.

    python tests/two_node_scheduling.py

Run by tests/test_multinode.py in a fresh process (Ray reads its local-only switch when it is imported). Prints
one JSON line: how many of two DEFAULT tasks submitted together ran on each node (head first).
"""

from __future__ import annotations

import json
import time

from two_node_cluster import private_ray_dir  # before Ray: its private environment

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402


def main() -> None:
    ray_dir = private_ray_dir("cray-2s-")
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False, "temp_dir": ray_dir})
    try:
        cluster.add_node(num_cpus=2)
        cluster.wait_for_nodes()
        ray.init(address=cluster.address, log_to_driver=False)
        head = cluster.head_node.node_id

        @ray.remote
        def node_of_task():
            time.sleep(0.5)
            return ray.get_runtime_context().get_node_id()

        # First, on a cluster that has run nothing yet: with more tasks run before, Ray's decisions depend on
        # timing (two tasks submitted together were then seen to stay both on the head node).
        nodes = ray.get([node_of_task.remote() for _ in range(2)], timeout=60)
        placed = {"DEFAULT:2": [sum(n == head for n in nodes), sum(n != head for n in nodes)]}
        ray.shutdown()
    finally:
        cluster.shutdown()
    print(json.dumps({"placed": placed, "ray_dir": ray_dir}))


if __name__ == "__main__":
    main()
