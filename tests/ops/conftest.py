"""Real server processes for the operations tests: uvicorn and daphne, as users run them.

Each server runs in its own process on 127.0.0.1 with its own logging left as the server sets
it up (nothing configured by the test), serving the applications in `apps/`. Its stdout and
stderr go to a file the tests read. The socket table of the server process (psutil) tells
whether a connection was really released.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import websockets

APPS = Path(__file__).resolve().parent / "apps"
ROOT = APPS.parents[2]
UVICORN_WS = ["websockets-sansio", "websockets", "wsproto"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process started with `argv` in `apps/`; its output goes to `log_path`."""

    def __init__(
        self, argv: list[str], log_path: Path, env: dict[str, str] | None = None, kind: str = ""
    ) -> None:
        self.kind = kind
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.log_path = log_path
        inherited = {  # not what earlier tests in this process set up for themselves
            k: v for k, v in os.environ.items() if not k.startswith(("CHANX_", "OPS_", "DJANGO_"))
        }
        self.env = {
            **inherited,
            "DJANGO_SETTINGS_MODULE": "opsite.settings",
            "PYTHONPATH": os.pathsep.join([str(APPS), str(ROOT)]),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def url(self, path: str) -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def http(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> Server:
        with self.log_path.open("wb") as out:
            self.process = subprocess.Popen(
                self.argv, cwd=APPS, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, f"server exited:\n{self.log()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                assert time.monotonic() < deadline, f"server did not start:\n{self.log()}"
                time.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 20) -> float:
        """Send SIGTERM; the seconds until the process exited."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def peers(self) -> list[Any]:
        """The server process's TCP connections to clients (not its listening socket)."""
        return [
            c
            for c in psutil.Process(self.pid).net_connections(kind="tcp")
            if c.raddr and c.laddr.port == self.port
        ]

    def peer_of(self, client_port: int) -> Any:
        """The server's side of the connection from `client_port`, or None once released."""
        for c in self.peers():
            if c.raddr.port == client_port:
                return c
        return None

    def rss(self) -> int:
        return int(psutil.Process(self.pid).memory_info().rss)


def uvicorn(
    tmp_path: Path, ws: str, app: str = "star:app", loop: str = "auto", **env: str
) -> Server:
    """uvicorn with its own default logging, `--ws ws`, `--loop loop`, serving `app`."""
    argv = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", "{port}"]
    argv += ["--ws", ws, "--loop", loop, app]
    return Server(argv, tmp_path / f"uvicorn-{ws}-{loop}.log", env, "uvicorn")


def daphne(tmp_path: Path, app: str = "opsite.asgi:application", **env: str) -> Server:
    argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", app]
    return Server(argv, tmp_path / "daphne.log", env, "daphne")


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers a test started; killed at the end whatever happened."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


async def recv_json(ws: Any, timeout: float = 10) -> Any:
    async with asyncio.timeout(timeout):
        return json.loads(await ws.recv())


async def closed_with(ws: Any, timeout: float = 10) -> int | None:
    """Wait until the server closes `ws`; its close code (received frames skipped)."""
    async with asyncio.timeout(timeout):
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.recv()
    received = ws.protocol.close_rcvd
    return received.code if received is not None else None


async def wait_for(predicate: Any, timeout: float, step: float = 0.05) -> float:
    """Poll `predicate` (the state is in another process); the seconds it took."""
    started = time.monotonic()
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the state lives in the server process
            await asyncio.sleep(step)
    return time.monotonic() - started
