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


def _installed_python() -> Path:
    """The interpreter of the venv holding this checkout installed from its wheel."""
    import installed_env

    return installed_env.ensure()


_BASELINE_SET = os.environ.get("CHANX_BENCH_BASELINE", "")
# Resolved here: servers run with apps/ as their working directory.
BASELINE = str(Path(_BASELINE_SET).resolve()) if _BASELINE_SET else ""


def baseline_pythonpath(checkout: str) -> str:
    """`checkout` and its first-party plugins' source directories, as a PYTHONPATH.

    They come before this venv's editable installs, so the baseline server runs the
    earlier chanx *and* the earlier plugins (the entry points stay the same names).
    """
    if not checkout:
        return ""
    plugins = sorted(str(src) for src in Path(checkout).glob("plugins/*/*/src") if src.is_dir())
    return os.pathsep.join([checkout, *plugins])


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
            env={"PYTHONPATH": baseline_pythonpath(BASELINE)},
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


FANOUT_SERVERS: dict[str, ServerSpec] = {
    spec.name: spec
    for spec in (
        ServerSpec("raw", "raw_fanout:app", main_python, description="raw Starlette hand loop"),
        ServerSpec(
            "upstream",
            "upstream_fanout:app",
            _upstream_python,
            description="upstream chanx 2.13 (fast-channels in-memory layer)",
        ),
        ServerSpec("chanx", "chanx_fanout:app", main_python, description="chanx (this repo)"),
        ServerSpec(
            "chanx-installed",
            "chanx_fanout:app",
            _installed_python,
            description="chanx (this repo) installed from its wheel, no plugins",
        ),
        ServerSpec(
            "chanx-baseline",
            "chanx_fanout:app",
            main_python,
            env={"PYTHONPATH": baseline_pythonpath(BASELINE)},
            description=f"chanx at {BASELINE or '$CHANX_BENCH_BASELINE (unset)'}",
        ),
        *(  # the same room on chanx's Redis layer (apps/workers_room), one uvicorn worker
            ServerSpec(
                name,
                "workers_room:app",
                main_python,
                env={
                    **extra,
                    "BENCH_REDIS_URL": os.environ.get(
                        "BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"
                    ),
                    "BENCH_PREFIX": f"bench-fanout-{os.getpid()}-{name}",
                },
                description=f"{description} on its Redis layer",
            )
            for name, extra, description in (
                ("chanx-redis", {}, "chanx (this repo)"),
                (
                    "chanx-baseline-redis",
                    {"PYTHONPATH": baseline_pythonpath(BASELINE)},
                    f"chanx at {BASELINE or '$CHANX_BENCH_BASELINE (unset)'}",
                ),
            )
        ),
        *(  # chanx on Django Channels, one server per CHANNEL_LAYERS backend (apps/django_site)
            ServerSpec(
                f"django-{layer}",
                "django_fanout:application",
                main_python,
                env={"BENCH_DJANGO_LAYER": layer, "BENCH_PREFIX": f"bench-fanout-{os.getpid()}"},
                description=f"chanx on Django Channels, CHANNEL_LAYERS backend {layer}",
            )
            for layer in ("channels-memory", "chanx-memory", "chanx-redis")
        ),
    )
}
"""The group fan-out room (every connection joins one group; a `shout` goes to all) on each
server: the same names as `SERVERS`, so results line up across benchmarks."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def uvicorn_command(
    python: Path, app: str, port: int, loop: str, workers: int = 1, log_level: str = "warning"
) -> list[str]:
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
        str(workers),
        "--log-level",
        log_level,
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


@dataclass(frozen=True)
class RunningWorkers:
    """A started server of several processes: the pids that serve connections, and its URL."""

    pids: list[int]
    url: str
    command: list[str]


SERVED = {"uvicorn": "Application startup complete", "daphne": "Listening on"}
"""What each server writes to stderr (at INFO) once a process serves."""


def _worker_pids(kind: str, procs: list[subprocess.Popen[bytes]], workers: int) -> list[int]:
    """uvicorn with ``--workers N`` (N > 1) serves in spawned children; otherwise the process."""
    if kind == "daphne" or workers == 1:
        return [proc.pid for proc in procs]
    import psutil

    children = psutil.Process(procs[0].pid).children()
    return [c.pid for c in children if "spawn_main" in " ".join(c.cmdline())]


@contextlib.contextmanager
def running_workers(
    kind: str, app: str, workers: int, env: dict[str, str], start_timeout: float = 60.0
) -> Iterator[RunningWorkers]:
    """Start `app` on `workers` processes sharing one listening socket on the loopback.

    ``uvicorn --workers N`` shares its socket itself; daphne has no such option, so `workers`
    daphne processes adopt one listening socket made here (``--fd``), as a process manager
    would. Either way the kernel decides which process accepts each connection. Yields once
    every process has said it serves; always stops them all.

    Args:
        kind: ``uvicorn`` (``--ws websockets-sansio``) or ``daphne`` (a Django ASGI app path).
        app: The ``module:attribute`` to serve, importable from `APPS_DIR`.
        workers: How many processes serve.
        env: Extra environment variables for the servers.
        start_timeout: Seconds until every process must serve.

    Raises:
        RuntimeError: a process exited or did not serve in time; its stderr is included.
    """
    python = str(main_python())
    procs: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as stack:
        log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "stderr.log"

        def spawn(command: list[str], fds: tuple[int, ...] = ()) -> None:
            with log.open("ab") as stderr:  # appending: the processes write to one file
                procs.append(subprocess.Popen(
                    command, cwd=APPS_DIR, env=_server_env(env), stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=stderr, pass_fds=fds,
                ))  # fmt: skip

        if kind == "uvicorn":
            port = free_port()
            command = uvicorn_command(main_python(), app, port, "auto", workers, "info")
            spawn(command)
        else:
            listener = stack.enter_context(socket.create_server((HOST, 0), backlog=4096))
            port = listener.getsockname()[1]
            command = [python, "-m", "daphne", "--fd", str(listener.fileno()), app]
            for _ in range(workers):
                spawn(command, (listener.fileno(),))
            listener.close()  # the servers hold it now
        try:
            deadline = time.monotonic() + start_timeout
            while log.read_text(errors="replace").count(SERVED[kind]) < workers:
                if any(proc.poll() is not None for proc in procs) or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-4000:]
                    raise RuntimeError(f"{kind} x{workers} did not start\n{tail}")
                time.sleep(0.05)
            yield RunningWorkers(_worker_pids(kind, procs, workers), f"ws://{HOST}:{port}/ws",
                                 command)  # fmt: skip
        finally:
            for proc in procs:
                stop(proc, 10.0)
