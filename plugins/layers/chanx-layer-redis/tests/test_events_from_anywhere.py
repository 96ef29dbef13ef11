"""Events sent from outside a server (scripts, worker threads, Django commands, shutdowns)
reach every connection of two uvicorn processes sharing Redis: none is lost on the way out."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent
COUNT = 20
CLIENTS_PER_SERVER = 2


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    prefix = f"chanx-test-{uuid.uuid4().hex[:10]}"
    return {
        **os.environ,
        "CHANX_TEST_REDIS_URL": "redis://127.0.0.1:6379/0",
        "CHANX_TEST_PREFIX": prefix,
    }


@pytest.fixture(scope="module")
def running(servers: Any, env: dict[str, str]) -> Iterator[list[Any]]:
    """Two uvicorn processes of `twoproc_app`, shared by this module's tests."""
    with servers(2, env) as started:
        yield started


@pytest.fixture
async def room(running: list[Any]) -> AsyncIterator[tuple[list[Any], list[str]]]:
    """Clients on both servers, each in the room; and their channel names."""
    clients = [await websockets.connect(s.url) for s in running for _ in range(CLIENTS_PER_SERVER)]
    try:
        names = []
        for ws in clients:  # a reply proves the connection joined its group
            await ws.send('{"action": "whoami"}')
            names.append((await next_frame(ws))["payload"])
        yield clients, names
    finally:
        for ws in clients:
            await ws.close()


async def next_frame(ws: Any, timeout: float = 10) -> dict[str, str]:
    async with asyncio.timeout(timeout):
        frame: dict[str, str] = json.loads(await ws.recv())
        return frame


async def run(*command: str, env: dict[str, str]) -> str:
    """Run a sender process to completion; it must succeed within 60 s."""
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=HERE, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    async with asyncio.timeout(60):
        out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    return out.decode()


SENDERS = {
    "sync": lambda target: [sys.executable, "sender.py", "sync", str(COUNT), target],
    "worker": lambda target: [sys.executable, "sender.py", "worker", str(COUNT), target],
    "async": lambda target: [sys.executable, "sender.py", "async", str(COUNT), target],
    "django": lambda target: [
        sys.executable, "-m", "django", "poke_room", str(COUNT), target,
        "--settings=django_sender.settings",
    ],
}  # fmt: skip


@pytest.mark.parametrize("mode", list(SENDERS))
async def test_every_event_from_a_process_that_exits_at_once_arrives(
    mode: str, room: tuple[list[Any], list[str]], env: dict[str, str]
) -> None:
    clients, names = room
    target = CLIENTS_PER_SERVER  # the first client of the second server
    out = await run(*SENDERS[mode](names[target]), env=env)
    assert "sent" in out
    expected = [f"poke:{mode}-{n}" for n in range(COUNT)]
    for index, ws in enumerate(clients):
        direct = [f"poke:{mode}-direct"] * (index == target)
        wanted = direct + expected if mode == "async" else expected + direct
        got = [(await next_frame(ws))["payload"] for _ in wanted]
        if mode == "worker":  # four threads: any order
            got.sort(key=wanted.index)
        assert got == wanted
    await clients[0].send('{"action": "say", "payload": "last"}')
    for ws in clients:  # nothing more (no duplicate) came before it
        assert (await next_frame(ws))["payload"] == "last"


async def test_sync_twins_in_a_server_thread_beside_its_serving_loop_reach_both_servers(
    room: tuple[list[Any], list[str]], running: list[Any]
) -> None:
    clients, _ = room
    async with httpx.AsyncClient(timeout=30) as http:
        reply = await http.get(f"http://127.0.0.1:{running[0].port}/poke?text=view&count=5")
    assert reply.text == "sent"
    for ws in clients:  # both servers' connections, in order
        assert [(await next_frame(ws))["payload"] for _ in range(5)] == [
            f"poke:view-{n}" for n in range(5)
        ]


async def test_an_event_broadcast_at_graceful_shutdown_reaches_the_other_process(
    servers: Any, env: dict[str, str]
) -> None:
    with servers(2, env) as (leaving, staying):
        ws = await websockets.connect(staying.url)
        try:
            await ws.send('{"action": "whoami"}')
            await next_frame(ws)
            leaving.process.send_signal(signal.SIGTERM)
            pid = leaving.process.pid
            for n in range(10):
                frame = await next_frame(ws, timeout=15)
                assert frame == {"action": "said", "payload": f"poke:goodbye-{pid}-{n}"}
        finally:
            await ws.close()
