"""Fixtures for the Redis layer's tests: the machine's Redis, unique prefixes, own servers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def ping(port: int, timeout: float = 0.5) -> bool:
    """Whether a Redis server answers PING on loopback `port`."""
    try:
        with socket.create_connection((REDIS_HOST, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture(autouse=True, scope="session")
def _redis_available() -> None:
    """Skip every test here without Redis at 127.0.0.1:6379, unless CHANX_REQUIRE_REDIS=1."""
    if ping(REDIS_PORT):
        return
    if os.environ.get("CHANX_REQUIRE_REDIS") == "1":
        pytest.fail(
            f"CHANX_REQUIRE_REDIS=1 but no Redis answers at {REDIS_HOST}:{REDIS_PORT}; start "
            "one (redis-server --port 6379) or unset CHANX_REQUIRE_REDIS."
        )
    pytest.skip(
        f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT} (set CHANX_REQUIRE_REDIS=1 to fail)"
    )


@pytest.fixture
def redis_url() -> str:
    """URL of the machine's Redis (shared with other runs: use `prefix`)."""
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    """A key prefix no other test (or parallel run) uses."""
    return f"chanx-test-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind((REDIS_HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class OwnRedis:
    """A throwaway redis-server on a free loopback port that a test may stop and restart.

    Args:
        workdir: Its working directory (nothing is saved there).
        args: More redis-server options (``--replicaof``, ``--cluster-enabled``, TLS...).
        ready: Whether the server answers; default: PING on the plain port.
        port: Its port (default: a free one).
        config: A config file to start from, read first (a Sentinel's, with its port in it).
    """

    def __init__(
        self,
        workdir: Path,
        args: list[str] | None = None,
        ready: Callable[[OwnRedis], bool] | None = None,
        port: int | None = None,
        config: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self._config = [str(config)] if config is not None else []
        self.url = f"redis://{REDIS_HOST}:{self.port}/0"
        self._workdir = workdir
        self._args = args or []
        self._ready = ready or (lambda server: ping(server.port, 0.2))
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self._workdir.mkdir(parents=True, exist_ok=True)
        options = ["--port", str(self.port), "--bind", REDIS_HOST, "--dir", str(self._workdir)]
        if not self._config:
            options += ["--save", "", "--appendonly", "no"]
        self._process = subprocess.Popen(
            [REDIS_SERVER, *self._config, *options, *self._args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._ready(self):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open, nothing is answered."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server run again (SIGCONT)."""
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Kill the server (no clean shutdown, like a crash) and wait for it to exit."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
            self._process.wait(10)
            self._process = None


def require_binary(path: str, why: str) -> None:
    """Skip the test when `path` is missing, or fail it under CHANX_REQUIRE_REDIS=1."""
    if os.path.exists(path):
        return
    message = f"{os.path.basename(path)} not found at {path}; {why}"
    if os.environ.get("CHANX_REQUIRE_REDIS") == "1":
        pytest.fail(f"CHANX_REQUIRE_REDIS=1 but {message}")
    pytest.skip(message)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    """A private redis-server, always killed afterwards."""
    require_binary(REDIS_SERVER, "the restart tests start their own server")
    server = OwnRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Server:
    """A uvicorn process of the tests: its port, its process and its WebSocket URL."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"ws://{REDIS_HOST}:{self.port}/ws"


@contextmanager
def uvicorn_servers(
    count: int, env: dict[str, str], app: str = "twoproc_app:app"
) -> Iterator[list[Server]]:
    """Start `count` uvicorn processes serving `app` on loopback; always stop them.

    On exit each server gets SIGTERM (a graceful shutdown: lifespan shutdown runs) and is
    killed if it has not exited 10 s later.
    """
    procs: list[subprocess.Popen[bytes]] = []
    ports = [free_port() for _ in range(count)]
    try:
        for port in ports:
            command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
            command += ["--host", "127.0.0.1", "--ws", "websockets-sansio", "--log-level=warning"]
            procs.append(subprocess.Popen(command, cwd=HERE, env=env))
        deadline = time.monotonic() + 20
        for port, proc in zip(ports, procs, strict=True):
            while True:
                assert proc.poll() is None, f"uvicorn on port {port} exited early"
                try:
                    socket.create_connection((REDIS_HOST, port), timeout=0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"uvicorn on port {port} did not start"
                    time.sleep(0.05)
        yield [Server(port, proc) for port, proc in zip(ports, procs, strict=True)]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


@pytest.fixture(scope="session")
def servers() -> Callable[..., AbstractContextManager[list[Server]]]:
    """`uvicorn_servers(count, env, app=...)`: uvicorn processes of the test apps here."""
    return uvicorn_servers


REDIS_CLI = shutil.which("redis-cli") or "/usr/bin/redis-cli"


def free_bus_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free and valid too."""
    for _ in range(200):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((REDIS_HOST, port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair (port, port + 10000) on loopback")


class LocalCluster:
    """A Redis Cluster of three masters and three replicas on loopback ports.

    Made with ``redis-cli --cluster create``; `stop` kills every node.
    """

    def __init__(self, workdir: Path) -> None:
        self.nodes: list[OwnRedis] = []
        for n in range(6):
            args = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            args += ["--cluster-node-timeout", "1000"]
            # A replica only takes over once it has synced with its master; without the
            # default 5 s delay of diskless sync that happens right after the cluster forms.
            args += ["--repl-diskless-sync-delay", "0"]
            self.nodes.append(OwnRedis(workdir / f"node-{n}", args, port=free_bus_port()))

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        addresses = [f"{REDIS_HOST}:{node.port}" for node in self.nodes]
        subprocess.run(
            [
                REDIS_CLI,
                "--cluster",
                "create",
                *addresses,
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        deadline = time.monotonic() + 30
        while not all(self.state(node.port) == "ok" for node in self.nodes):
            assert time.monotonic() < deadline, "the cluster did not reach cluster_state:ok"
            time.sleep(0.1)
        # A replica that has not finished its first sync refuses to fail over (its data counts
        # as too old: cluster-replica-validity-factor), so a master killed before then would
        # never be replaced. Wait for every replica's link to its master.
        while not all(self.replica_synced(node.port) for node in self.nodes):
            assert time.monotonic() < deadline, "the replicas did not sync with their masters"
            time.sleep(0.1)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    @staticmethod
    def replica_synced(port: int) -> bool:
        """Whether a node is a master, or a replica whose link to its master is up."""
        try:
            out = subprocess.run(
                [REDIS_CLI, "-p", str(port), "info", "replication"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout
        except subprocess.TimeoutExpired:
            return False
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        role = fields.get("role", "").strip()
        return role == "master" or fields.get("master_link_status", "").strip() == "up"

    @staticmethod
    def state(port: int) -> str:
        """A node's ``cluster_state`` (``ok`` or ``fail``), or ``down``."""
        try:
            out = subprocess.run(
                [REDIS_CLI, "-p", str(port), "cluster", "info"],
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout
        except subprocess.TimeoutExpired:
            return "down"
        for line in out.splitlines():
            if line.startswith("cluster_state:"):
                return line.split(":", 1)[1].strip()
        return "down"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A six-node Redis Cluster for a test module, always stopped afterwards."""
    require_binary(REDIS_SERVER, "the cluster tests start their own cluster")
    require_binary(REDIS_CLI, "the cluster tests create their cluster with it")
    made = LocalCluster(tmp_path_factory.mktemp("cluster"))
    try:
        made.start()
        yield made
    finally:
        made.stop()
