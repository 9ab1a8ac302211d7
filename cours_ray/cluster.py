"""One private local Ray for a whole build or test session, or the cluster that RAY_ADDRESS names on purpose.

The local Ray listens on 127.0.0.1 only (Ray's local-only mode), has no dashboard, uses a token of its own
(nothing is written under ~/.ray) and a temporary directory of its own, so a plain `ray.init()` pointed at it
by RAY_ADDRESS can never end up on a stranger's cluster. It is owned by a small keeper process
(`cours_ray.ray_head`) that shuts Ray down as soon as its stdin closes, so even a killed build leaves no Ray behind.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30
REACH_TIMEOUT_S = 5

# Always set for code that talks to Ray from the build or the tests.
PRIVATE_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # local-only mode: every Ray port binds 127.0.0.1
    "RAY_USAGE_STATS_ENABLED": "0",  # no usage report sent anywhere
}


# Set, with the cluster's description as JSON, for the clients of a private local Ray that cours-ray started (a
# build's, or a test session's): a RAY_ADDRESS that comes with it names such a Ray, not a cluster chosen on purpose.
LOCAL_CLUSTER_VARIABLE = "COURS_RAY_LOCAL_CLUSTER"


class ClusterError(RuntimeError):
    """Ray cannot be started or reached."""


def requested_address() -> str | None:
    """The address of an existing cluster chosen on purpose with RAY_ADDRESS, if any."""
    address = os.environ.get("RAY_ADDRESS", "").strip()
    return address or None


def private_local_cluster() -> dict | None:
    """The description ({"nodes", "cpus"}) of the private local Ray that RAY_ADDRESS names, if cours-ray started it."""
    text = os.environ.get(LOCAL_CLUSTER_VARIABLE)
    return json.loads(text) if text and requested_address() else None


def machine_fingerprint() -> str:
    """What a private local Ray's shape depends on: this machine's CPUs (and the container's CPU quota, that Ray
    honours). Part of the cache key, so that outputs measured on another machine are not reused."""
    quota = Path("/sys/fs/cgroup/cpu.max")
    return f"local:{os.cpu_count()}:{quota.read_text().strip() if quota.exists() else ''}"


def describe_requested_cluster(env: dict[str, str]) -> dict:
    """Nodes and CPUs of the cluster RAY_ADDRESS names (a short-lived driver, run once per build that executes)."""
    result = subprocess.run(
        [sys.executable, "-m", "cours_ray.ray_head", "--describe"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode:
        raise ClusterError(f"Le cluster RAY_ADDRESS={env.get('RAY_ADDRESS')} n'a pas pu être décrit :\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def check_reachable(address: str, timeout: float = REACH_TIMEOUT_S) -> None:
    """Fail within `timeout` seconds, in French, when nothing listens at `address` (host:port or ray://host:port)."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"RAY_ADDRESS={address!r} : adresse illisible, attendu « hôte:port » (par exemple 10.0.0.5:6379)")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as error:
        raise ClusterError(
            f"Aucun cluster Ray ne répond à RAY_ADDRESS={address} ({error}). "
            "Vérifiez l'adresse et que le cluster est démarré, ou retirez RAY_ADDRESS pour utiliser un Ray local."
        ) from None


class LocalRay:
    """A private local Ray cluster, started on demand and stopped by `stop()` (or when its owner dies)."""

    def __init__(self) -> None:
        self.address: str | None = None
        self.temp_dir: Path | None = None
        self.starts = 0
        self.description: dict | None = None  # {"nodes": 1, "cpus": 2}, once started
        self._token = secrets.token_hex(32)
        self._keeper: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self._keeper is not None and self._keeper.poll() is None

    def auth_env(self) -> dict[str, str]:
        """What a process needs to talk to this cluster, known before it starts. Ray reads these variables
        when it is imported, so a process that imports ray early must set them first."""
        return {**PRIVATE_ENV, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self._token}

    def client_env(self) -> dict[str, str]:
        """Environment variables that make a plain `ray.init()` connect to this cluster."""
        assert self.address, "LocalRay.start() n'a pas été appelé"
        return {**self.auth_env(), "RAY_ADDRESS": self.address, LOCAL_CLUSTER_VARIABLE: json.dumps(self.description)}

    def launch(self) -> None:
        """Start the keeper, and Ray with it, without waiting: `start()` waits (mkdocs serve launches Ray while it
        builds, so that the author's first edit does not wait for it)."""
        if self._keeper is not None and self._keeper.poll() is None:
            return
        # Short prefix: Ray's Unix sockets live under this directory and their paths are limited to 107 bytes.
        self.temp_dir = Path(tempfile.mkdtemp(prefix="cray-", dir="/tmp"))
        env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
        env.update(PRIVATE_ENV, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=self._token)
        self.address = None
        self._keeper = subprocess.Popen(
            [sys.executable, "-m", "cours_ray.ray_head", str(self.temp_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(self.temp_dir / "keeper.log", "wb"),  # noqa: SIM115 - closed with the process
            env=env,
            start_new_session=True,  # Ctrl-C reaches mkdocs, which then stops Ray in order
        )
        self.starts += 1

    def start(self) -> dict[str, str]:
        """Start Ray (or finish starting it), and return what its clients need."""
        if self.running and self.address:
            return self.client_env()
        self.launch()
        line = _readline(self._keeper.stdout, START_TIMEOUT_S)
        if not line:
            log = (self.temp_dir / "keeper.log").read_text(errors="replace")[-3000:]
            self.stop()
            raise ClusterError(f"Le Ray local n'a pas démarré en {START_TIMEOUT_S} s.\n{log}")
        hello = json.loads(line)
        self.address = hello.pop("address")
        self.description = hello
        return self.client_env()

    def detached_actors(self, patience: float = 5) -> list[dict]:
        """Detached actors still alive on this cluster, once those being killed have had `patience` seconds to die."""
        deadline = time.monotonic() + patience
        while True:
            self._keeper.stdin.write(b"detached-actors\n")
            self._keeper.stdin.flush()
            alive = json.loads(_readline(self._keeper.stdout, 30) or b"[]")
            if not alive or time.monotonic() > deadline:
                return alive
            time.sleep(0.2)

    def stop(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            try:
                keeper.stdin.close()  # the keeper's signal to shut Ray down
                keeper.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(keeper.pid, 9)
                keeper.wait()
            keeper.stdout.close()
        for pid in self.leftover_pids():
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
        if self.temp_dir is not None:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
        self.address = None

    def leftover_pids(self) -> list[int]:
        """Processes still running whose command line names this cluster's private directory."""
        if self.temp_dir is None:
            return []
        return ray_pids_under(self.temp_dir)

    def __enter__(self) -> LocalRay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ray_pids_under(temp_dir: Path) -> list[int]:
    marker = str(temp_dir).encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _readline(stream, timeout: float) -> bytes:
    import selectors

    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(deadline - time.monotonic()):
            return stream.readline()
    return b""
