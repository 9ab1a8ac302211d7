"""Keeper of the private local Ray: starts it, prints its address, and shuts it down when stdin closes.

Usage: python -m cours_ray.ray_head TEMP_DIR  (environment prepared by cours_ray.cluster.LocalRay)
       python -m cours_ray.ray_head --describe  (prints the nodes and CPUs of the cluster RAY_ADDRESS names)
"""

import json
import sys

import ray


def describe() -> dict:
    """The cluster as Ray sees it: its live nodes and their CPUs."""
    nodes = [node for node in ray.nodes() if node["Alive"]]
    return {"nodes": len(nodes), "cpus": int(sum(node["Resources"].get("CPU", 0) for node in nodes))}


def main() -> None:
    if sys.argv[1:] == ["--describe"]:  # the cluster that RAY_ADDRESS names
        ray.init(logging_level="ERROR", log_to_driver=False)
        print(json.dumps(describe()), flush=True)
        ray.shutdown()
        return
    context = ray.init(address="local", include_dashboard=False, _temp_dir=sys.argv[1], log_to_driver=False)
    print(json.dumps({"address": context.address_info["gcs_address"], **describe()}), flush=True)
    sys.stdin.buffer.read()  # returns at end of file: the owner is done, or gone
    ray.shutdown()


if __name__ == "__main__":
    main()
