"""Several workers on the Redis layer: ``uvicorn --workers 2`` and two daphne processes sharing
one listening socket (the kernel spreads the clients over them, as in production).

Each worker is its own process with its own layer: members land on both, a broadcast from
either reaches the other, an event sent from a process that serves nobody reaches both, a
burst loses nothing, the per-user connection limit counts per worker, and SIGTERM to the
server stops every worker cleanly.
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
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
import websockets

from .conftest import APPS, Server, closed_with, recv_json

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

REDIS_URL = "redis://127.0.0.1:6379/0"
WORKERS = 2
MEMBERS = 12  # enough that the kernel puts some on each worker
BURST = 300


class Workers:
    """One server made of `WORKERS` processes behind one listening socket on 127.0.0.1."""

    def __init__(self, kind: str, tmp_path: Path) -> None:
        self.kind = kind
        self.prefix = f"ops-workers-{uuid.uuid4().hex[:10]}"
        layers = {"OPS_REDIS_URL": REDIS_URL, "OPS_PREFIX": self.prefix, "OPS_LAYERS": "redis"}
        self.env = Server([], tmp_path / "unused", layers).env
        self.log_path = tmp_path / f"{kind}.log"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.port = 0

    def start(self) -> Workers:
        with self.log_path.open("wb") as out:
            if self.kind == "uvicorn":
                self.port = free_port()
                argv = [sys.executable, "-m", "uvicorn", "workers_star:app", "--host", "127.0.0.1",
                        "--port", str(self.port), "--ws", "websockets-sansio",
                        "--workers", str(WORKERS)]  # fmt: skip
                self.processes.append(self._spawn(argv, out))
            else:  # daphne has no --workers: several processes adopt one listening socket
                with socket.create_server(("127.0.0.1", 0), backlog=512) as listener:
                    self.port = listener.getsockname()[1]
                    fd = listener.fileno()
                    argv = [sys.executable, "-m", "daphne", "--fd", str(fd),
                            "opsite.workers_asgi:application"]  # fmt: skip
                    for _ in range(WORKERS):
                        self.processes.append(self._spawn(argv, out, fd))
        return self

    def _spawn(self, argv: list[str], out: Any, fd: int | None = None) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            argv, cwd=APPS, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            pass_fds=() if fd is None else (fd,), start_new_session=True,
        )  # fmt: skip

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/crowd"

    def worker_pids(self) -> set[int]:
        """The processes that serve connections (uvicorn's are children of its parent)."""
        if self.kind == "daphne":
            return {p.pid for p in self.processes}
        children = psutil.Process(self.processes[0].pid).children()
        return {c.pid for c in children if "spawn_main" in " ".join(c.cmdline())}

    async def wait_ready(self) -> None:
        """Until every worker said it serves (the socket accepts before they all do)."""
        mark = "Application startup complete" if self.kind == "uvicorn" else "Listening on"
        async with asyncio.timeout(30):
            while self.log().count(mark) < WORKERS:
                for process in self.processes:
                    assert process.poll() is None, self.log()
                await asyncio.sleep(0.05)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 30) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            process.wait(timeout)

    def stop(self) -> None:
        """Kill every process of the server, uvicorn's worker children included (they are in
        the parent's session and outlive it if only the parent is killed)."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def send_news(self, text: str, count: int) -> None:
        """Broadcast `count` news events from a process that serves no connection."""
        script = ["workers_star.py"] if self.kind == "uvicorn" else ["-m", "opsite.workers_asgi"]
        subprocess.run([sys.executable, *script, text, str(count)], cwd=APPS, env=self.env,
                       check=True, timeout=60)  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["uvicorn", "daphne"])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Workers]:
    group = Workers(request.param, tmp_path).start()
    try:
        yield group
    finally:
        group.stop()


async def connect(url: str) -> Any:
    deadline = time.monotonic() + 30
    while True:  # the workers listen a moment after the socket does
        try:
            return await websockets.connect(url, open_timeout=10, max_queue=None)
        except (OSError, websockets.InvalidStatus, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


async def whoami(ws: Any) -> dict[str, Any]:
    """The serving process and channel; the reply also proves the member joined the crowd."""
    await ws.send('{"action": "whoami"}')
    frame = await recv_json(ws)
    assert frame["action"] == "you_are", frame
    reply: dict[str, Any] = frame["payload"]
    return reply


async def spread(workers: Workers, query: str = "") -> tuple[list[Any], dict[int, list[Any]]]:
    """Clients opened `MEMBERS` at once (as real clients arrive), batch after batch until
    every worker serves two of them; the kernel decides which worker accepts each."""
    await workers.wait_ready()
    clients: list[Any] = []
    by_pid: dict[int, list[Any]] = {}
    for _ in range(10):
        batch = await asyncio.gather(*(connect(workers.url + query) for _ in range(MEMBERS)))
        clients += batch
        for ws in batch:
            by_pid.setdefault((await whoami(ws))["pid"], []).append(ws)
        if len(by_pid) == WORKERS and min(map(len, by_pid.values())) >= 2:
            break
    return clients, by_pid


@pytest.fixture
async def crowd(workers: Workers) -> AsyncIterator[dict[int, list[Any]]]:
    """Clients by the pid of the worker serving them (at least two per worker)."""
    clients, by_pid = await spread(workers)
    try:
        yield by_pid
    finally:
        for ws in clients:
            await ws.close()


async def frames(ws: Any, count: int) -> list[str]:
    return [(await recv_json(ws))["payload"] for _ in range(count)]


async def test_members_land_on_every_worker_and_broadcasts_cross_them(
    workers: Workers, crowd: dict[int, list[Any]]
) -> None:
    assert set(crowd) == workers.worker_pids()  # every worker serves some, nothing else does
    for pid, members in crowd.items():  # a member of each worker speaks in turn
        await members[0].send(json.dumps({"action": "say", "payload": f"from-{pid}"}))
        for everyone in crowd.values():
            for ws in everyone:
                assert await recv_json(ws) == {"action": "said", "payload": f"from-{pid}"}


async def test_an_event_from_outside_reaches_members_on_every_worker(
    workers: Workers, crowd: dict[int, list[Any]]
) -> None:
    await asyncio.to_thread(workers.send_news, "outside", 5)
    expected = [f"outside-{n}" for n in range(5)]
    for members in crowd.values():
        for ws in members:
            assert await frames(ws, 5) == expected


async def test_a_burst_from_one_worker_reaches_every_member_in_order(
    workers: Workers, crowd: dict[int, list[Any]]
) -> None:
    sender = next(iter(crowd.values()))[0]
    for n in range(BURST):
        await sender.send(json.dumps({"action": "say", "payload": str(n)}))
    expected = [str(n) for n in range(BURST)]
    for members in crowd.values():
        for ws in members:
            assert await frames(ws, BURST) == expected


async def admitted_pid(ws: Any) -> int | str:
    """The pid of the worker that admitted `ws`, or the code it was closed with."""
    try:
        return int((await whoami(ws))["pid"])
    except websockets.ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else None}"


async def test_the_per_user_limit_counts_connections_per_worker(workers: Workers) -> None:
    """`max_connections_per_user` (2 here) is process state: each worker admits 2 of ana's."""
    await workers.wait_ready()
    admitted: dict[int, int] = {}
    refused = 0
    opened: list[Any] = []
    try:
        # Until both workers hold their 2. Which process accepts is the kernel's choice (one
        # shared listening socket), and a busy machine can favour one for a while: small
        # batches, bounded in count and time.
        deadline = time.monotonic() + 60
        for _ in range(60):
            if time.monotonic() > deadline:
                break
            batch = await asyncio.gather(*(connect(workers.url + "?user=ana") for _ in range(2)))
            opened += batch
            for pid in await asyncio.gather(*map(admitted_pid, batch)):
                if isinstance(pid, int):
                    admitted[pid] = admitted.get(pid, 0) + 1
                else:
                    assert pid == "closed 4409"  # TOO_MANY_CONNECTIONS
                    refused += 1
            if len(admitted) == WORKERS and min(admitted.values()) >= 2:
                break
        assert admitted == dict.fromkeys(workers.worker_pids(), 2)
        assert refused == len(opened) - 2 * WORKERS
        anonymous = await connect(workers.url)  # the limit is for ana only
        opened.append(anonymous)
        assert (await whoami(anonymous))["pid"] in admitted
    finally:
        for ws in opened:
            await ws.close()


async def test_sigterm_stops_every_worker_cleanly(
    workers: Workers, crowd: dict[int, list[Any]]
) -> None:
    pids = workers.worker_pids()
    await asyncio.to_thread(workers.terminate)
    for members in crowd.values():
        for ws in members:
            code = await closed_with(ws)
            assert code in ((1012, 1001) if workers.kind == "uvicorn" else (None,))
    assert not any(psutil.pid_exists(pid) for pid in pids if pid != os.getpid())
    log = workers.log()
    assert "Traceback" not in log, log
    assert "ERROR" not in log, log
    if workers.kind == "uvicorn":
        assert log.count("Application shutdown complete") == WORKERS, log


async def next_of(ws: Any, action: str) -> dict[str, Any]:
    """The next frame whose action is `action` (others are skipped)."""
    while True:
        frame: dict[str, Any] = await recv_json(ws)
        if frame["action"] == action:
            return frame


async def test_topic_presence_and_offsets_are_shared_by_the_workers(
    workers: Workers, crowd: dict[int, list[Any]]
) -> None:
    """Topics on the Redis layer live in Redis: one presence list and one offset sequence."""
    members = [ws for everyone in crowd.values() for ws in everyone]
    for n, ws in enumerate(members):
        await ws.send(json.dumps({"action": "subscribe", "version": 1, "topic": "stage/1",
                                  "ref": f"s{n}"}))  # fmt: skip
        await next_of(ws, "subscribed")
        # presence is recorded just after the reply; the member's own join push follows it
        assert (await next_of(ws, "presence_join"))["payload"]["info"]["pid"] in crowd
    subscriber_pids = sorted(pid for pid, everyone in crowd.items() for _ in everyone)
    for everyone in crowd.values():  # the same list, asked on either worker
        await everyone[0].send('{"action": "present", "version": 1, "topic": "stage/1"}')
        assert (await next_of(everyone[0], "present_list"))["payload"] == subscriber_pids
    offsets = []
    for pid, everyone in crowd.items():  # shouts from each worker share one sequence
        await everyone[0].send(json.dumps({"action": "shout", "version": 1,
                                           "topic": "stage/1", "payload": f"p{pid}"}))  # fmt: skip
        seen = [await next_of(ws, "shouted") for ws in members]
        assert {(f["payload"], f["offset"]) for f in seen} == {(f"p{pid}", seen[0]["offset"])}
        offsets.append(seen[0]["offset"])
    assert offsets == list(range(offsets[0], offsets[0] + WORKERS))
