"""The servers under test and how to run one: a uvicorn process on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

APPS_DIR = Path(__file__).resolve().parent / "apps"
HOST = "127.0.0.1"
WS_IMPL = "websockets-sansio"


@dataclass(frozen=True)
class ServerSpec:
    """One server: which interpreter runs which ASGI app, with which extra environment."""

    name: str
    app: str
    python: Callable[[], Path]
    env: dict[str, str] = field(default_factory=dict)
    description: str = ""


def main_python() -> Path:
    """The interpreter running this script (the project venv)."""
    return Path(sys.executable)


def _upstream_python() -> Path:
    """The upstream venv's interpreter, creating the venv on first use."""
    import upstream_env

    return upstream_env.ensure()


BASELINE = os.environ.get("CHANX_BENCH_BASELINE", "")
"""A checkout of an earlier chanx (e.g. a `git worktree` of main before a change): the
`chanx-baseline` server runs the same app with that checkout first on `sys.path`, so a change
is measured before and after, side by side, in one run."""

SERVERS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in (
        ServerSpec(
            "chanx-baseline",
            "chanx_ping:app",
            main_python,
            env={"PYTHONPATH": BASELINE},
            description=f"chanx at {BASELINE or '$CHANX_BENCH_BASELINE (unset)'}",
        ),
        ServerSpec("chanx", "chanx_ping:app", main_python, description="chanx (this repo)"),
        ServerSpec(
            "chanx-otel",
            "chanx_otel_ping:app",
            main_python,
            description="chanx with the otel observer, no SDK (API no-op providers)",
        ),
        ServerSpec(
            "chanx-otel-sdk",
            "chanx_otel_ping:app",
            main_python,
            env={"BENCH_OTEL": "sdk"},
            description="chanx with the otel observer, SDK with no-op exporters",
        ),
        ServerSpec("raw", "raw_starlette:app", main_python, description="raw Starlette"),
        ServerSpec(
            "django",
            "django_ping:application",
            main_python,
            description="chanx on Django Channels (chanx in-memory layer in CHANNEL_LAYERS)",
        ),
        ServerSpec(
            "django-channels-layer",
            "django_ping:application",
            main_python,
            env={"BENCH_DJANGO_LAYER": "channels-memory"},
            description="chanx on Django Channels (Channels' InMemoryChannelLayer)",
        ),
        ServerSpec(
            "upstream",
            "upstream_chanx_ping:app",
            _upstream_python,
            description="upstream chanx 2.13 (in-memory layer)",
        ),
        ServerSpec(
            "upstream-nolayer",
            "upstream_chanx_ping:app",
            _upstream_python,
            env={"BENCH_UPSTREAM_LAYER": "0"},
            description="upstream chanx 2.13 (no layer)",
        ),
    )
}


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def uvicorn_command(python: Path, app: str, port: int, loop: str) -> list[str]:
    """The uvicorn command line every server is started with (only app and port differ)."""
    return [
        str(python),
        "-m",
        "uvicorn",
        app,
        "--app-dir",
        str(APPS_DIR),
        "--host",
        HOST,
        "--port",
        str(port),
        "--ws",
        WS_IMPL,
        "--loop",
        loop,
        "--workers",
        "1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]


def _server_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without PYTHONPATH, plus the server's own variables."""
    # No inherited PYTHONPATH: the upstream venv must import *its* chanx, not this repo's.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _wait_until_listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    """Poll the port until it accepts a connection; fail if the process exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {HOST}:{port} within {timeout:.0f} s")


def stop(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """Terminate a process; kill it if it has not exited after `timeout` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


@dataclass(frozen=True)
class RunningServer:
    """A started server: its process id, WebSocket URL and full command line."""

    pid: int
    url: str
    command: list[str]


@contextlib.contextmanager
def running(
    spec: ServerSpec, loop: str, cpus: set[int] | None = None, start_timeout: float = 30.0
) -> Iterator[RunningServer]:
    """Start `spec` under uvicorn, yield it once it listens, and always stop it afterwards.

    Args:
        spec: The server to run.
        loop: uvicorn's `--loop` choice.
        cpus: If given, the CPUs the server process may run on.
        start_timeout: Seconds to wait for the port to accept connections.

    Raises:
        RuntimeError: the server exited or did not listen in time; its stderr is included.
    """
    port = free_port()
    command = uvicorn_command(spec.python(), spec.app, port, loop)
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(
            command,
            cwd=APPS_DIR,
            env=_server_env(spec.env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            if cpus:
                os.sched_setaffinity(proc.pid, cpus)
            try:
                _wait_until_listening(proc, port, start_timeout)
            except RuntimeError as exc:
                stop(proc)
                raise RuntimeError(f"{spec.name}: {exc}\n{_tail(stderr)}") from None
            try:
                yield RunningServer(proc.pid, f"ws://{HOST}:{port}/ws", command)
            except Exception as exc:
                stop(proc)
                raise RuntimeError(
                    f"{exc}\n--- {spec.name} server stderr ---\n{_tail(stderr)}"
                ) from exc
        finally:
            stop(proc)


def _tail(stream: IO[bytes], limit: int = 4000) -> str:
    """The last `limit` characters a server wrote to its stderr file."""
    stream.seek(0)
    return stream.read().decode(errors="replace")[-limit:]
