"""What the two-node scripts (tests/two_node_*.py) share: a private, loopback-only Ray environment, set before Ray
is imported (it reads its local-only switch then), and a private folder for the cluster's files.

    from two_node_cluster import private_ray_dir  # first, before `import ray`
"""

from __future__ import annotations

import os
import secrets
import tempfile

os.environ.pop("RAY_ADDRESS", None)  # never a stranger's cluster
os.environ.update(
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",  # every port on 127.0.0.1
    RAY_USAGE_STATS_ENABLED="0",
    RAY_AUTH_MODE="token",
    RAY_AUTH_TOKEN=secrets.token_hex(32),
)


def private_ray_dir(prefix: str) -> str:
    """A fresh folder for the cluster's sockets and logs (short: Unix socket paths may not exceed 107 bytes).

    Cluster() writes the head's address to <default temp dir>/ray/ray_current_cluster even when temp_dir is given
    (ray/cluster_utils.py, add_node), and fails where /tmp/ray does not exist: that file goes in this folder too."""
    ray_dir = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.environ["RAY_TMPDIR"] = ray_dir
    os.makedirs(os.path.join(ray_dir, "ray"), exist_ok=True)
    return ray_dir
