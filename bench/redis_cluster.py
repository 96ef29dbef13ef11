"""A throwaway local Redis Cluster for benchmarks: three masters, three replicas, loopback.

with local_cluster() as url:   # redis://127.0.0.1:<port>/0 of one node
    ...
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOST = "127.0.0.1"


def _free_pair() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            port: int = sock.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind((HOST, port + 10000))
            except OSError:
                continue
        return port


@contextmanager
def local_cluster(nodes: int = 6) -> Iterator[str]:
    """Start `nodes` cluster-mode redis-servers, join them (one replica each), yield a URL."""
    server = shutil.which("redis-server") or "redis-server"
    cli = shutil.which("redis-cli") or "redis-cli"
    workdir = Path(tempfile.mkdtemp(prefix="chanx-bench-cluster-"))
    ports = [_free_pair() for _ in range(nodes)]
    procs = []
    try:
        for port in ports:
            directory = workdir / str(port)
            directory.mkdir()
            procs.append(subprocess.Popen(
                [server, "--port", str(port), "--bind", HOST, "--dir", str(directory),
                 "--save", "", "--appendonly", "no", "--cluster-enabled", "yes",
                 "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            ))  # fmt: skip
        for port in ports:
            _wait(cli, port, "PONG", ["ping"])
        addresses = [f"{HOST}:{port}" for port in ports]
        subprocess.run([cli, "--cluster", "create", *addresses, "--cluster-replicas", "1",
                        "--cluster-yes"], check=True, capture_output=True, timeout=60)  # fmt: skip
        for port in ports:
            _wait(cli, port, "cluster_state:ok", ["cluster", "info"])
        yield f"redis://{HOST}:{ports[0]}/0"
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait(cli: str, port: int, text: str, command: list[str]) -> None:
    deadline = time.monotonic() + 30
    while True:
        out = subprocess.run([cli, "-p", str(port), *command], capture_output=True, text=True)
        if text in out.stdout:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server on port {port} never answered {text!r}")
        time.sleep(0.05)
