"""Keeper of the private local Ray: starts it, prints its address, and shuts it down when stdin closes.

Usage: python -m cours_ray.ray_head TEMP_DIR  (environment prepared by cours_ray.cluster.LocalRay); a line
       "detached-actors" on stdin gets, as one JSON line, the detached actors still alive
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
    for line in sys.stdin:  # until end of file: the owner is done, or gone
        if line.strip() == "detached-actors":
            print(json.dumps(detached_actors()), flush=True)
    ray.shutdown()


def detached_actors() -> list[dict]:
    """The detached actors not dead yet: nothing kills them but ray.kill (non-detached ones die with their owner)."""
    from ray._private import state  # the GCS's actor table, read without the dashboard

    return [
        {"class": actor["ActorClassName"], "name": actor["Name"], "state": actor["State"]}
        for actor in state.actors().values()
        if actor["IsDetached"] and actor["State"] != "DEAD"
    ]


if __name__ == "__main__":
    main()
