"""Topics across two uvicorn processes sharing Redis, including a process that dies."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import websockets

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent
TTL = 0.6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """One uvicorn process serving `topics_app`, which a test may kill and start again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self._env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "uvicorn", "topics_app:app", "--port", str(self.port)]
        command += ["--host", "127.0.0.1", "--ws", "websockets-sansio", "--log-level=warning"]
        self.process = subprocess.Popen(command, cwd=HERE, env=self._env)
        deadline = time.monotonic() + 20
        while True:
            assert self.process.poll() is None, f"uvicorn on port {self.port} exited early"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                assert time.monotonic() < deadline, f"uvicorn on port {self.port} did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: the process says goodbye to nobody."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None


@contextmanager
def servers(count: int, env: dict[str, str]) -> Iterator[list[Server]]:
    started = [Server(env) for _ in range(count)]
    try:
        for server in started:
            server.start()
        yield started
    finally:
        for server in started:
            server.kill()


async def receive(ws: websockets.ClientConnection, action: str) -> dict[str, Any]:
    """The next frame whose action is `action` (others are skipped)."""
    async with asyncio.timeout(10):
        while True:
            frame: dict[str, Any] = json.loads(await ws.recv())
            if frame["action"] == action:
                return frame


async def send(ws: websockets.ClientConnection, action: str, **extra: Any) -> None:
    await ws.send(json.dumps({"action": action, "version": 1, "topic": "room/1", **extra}))


async def test_presence_pushes_and_resume_across_processes_and_a_restart(
    redis_url: str, prefix: str
) -> None:
    env = {
        **os.environ,
        "CHANX_TEST_REDIS_URL": redis_url,
        "CHANX_TEST_PREFIX": prefix,
        "CHANX_TEST_PRESENCE_TTL": str(TTL),
    }
    with servers(2, env) as (first, second):
        ann = await websockets.connect(first.url)
        bob = await websockets.connect(second.url)
        try:
            await send(ann, "subscribe", ref="a")
            subscribed = await receive(ann, "subscribed")
            ann_id = (await receive(ann, "presence_join"))["payload"]["id"]
            await send(bob, "subscribe", ref="b")
            await receive(bob, "subscribed")
            bob_joined = await receive(ann, "presence_join")  # crossed from the other process
            assert bob_joined["payload"]["info"] == {"port": second.port}

            await send(bob, "members", ref="m")
            members = (await receive(bob, "member_list"))["payload"]
            assert [m["id"] for m in members] == [ann_id, bob_joined["payload"]["id"]]

            await send(bob, "say", payload="before")
            seen = await receive(ann, "said")
            assert (seen["offset"], seen["epoch"]) == (1, subscribed["epoch"])

            first.kill()  # ann's process dies without a goodbye
            left = await receive(bob, "presence_leave")  # once its entry expires
            assert left["payload"]["id"] == ann_id
            for n in range(3):
                await send(bob, "say", payload=f"missed {n}")
            first.start()  # a new process on the same port

            again = await websockets.connect(first.url)
            since = {"offset": seen["offset"], "epoch": seen["epoch"]}
            await send(again, "subscribe", ref="r", since=since)
            reply = await receive(again, "subscribed")
            assert (reply["recovered"], reply["offset"]) == (True, 4)
            missed = [await receive(again, "said") for _ in range(3)]
            assert [m["payload"] for m in missed] == ["missed 0", "missed 1", "missed 2"]
            assert [m["offset"] for m in missed] == [2, 3, 4]
            await send(bob, "say", payload="live")
            live = await receive(again, "said")
            assert (live["payload"], live["offset"]) == ("live", 5)
            await again.close()
        finally:
            await ann.close()
            await bob.close()
