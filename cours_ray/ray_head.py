"""Keeper of the private local Ray: starts it, prints its address, and shuts it down when stdin closes.

Usage: python -m cours_ray.ray_head TEMP_DIR  (environment prepared by cours_ray.cluster.LocalRay)
"""

import json
import sys

import ray


def main() -> None:
    context = ray.init(address="local", include_dashboard=False, _temp_dir=sys.argv[1], log_to_driver=False)
    print(json.dumps({"address": context.address_info["gcs_address"]}), flush=True)
    sys.stdin.buffer.read()  # returns at end of file: the owner is done, or gone
    ray.shutdown()


if __name__ == "__main__":
    main()
