"""The tutorial's last claim, for real: two server processes sharing one Redis are one chat.

The tutorial's `chat.py` is taken from docs/tutorial.md as written, saved in a temporary
directory and served by two uvicorn processes with `CHAT_REDIS_URL` set.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

TUTORIAL = Path(__file__).resolve().parents[2] / "docs" / "tutorial.md"
REDIS = ("127.0.0.1", 6379)

pytestmark = [pytest.mark.e2e, pytest.mark.redis, pytest.mark.timeout(120)]


def chat_source() -> str:
    blocks = re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(), flags=re.DOTALL)
    (source,) = [b for b in blocks if b.startswith('"""A room chat')]
    return source


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[int]]:
    if not redis_available():
        if os.environ.get("CHANX_REQUIRE_REDIS") == "1":
            pytest.fail("CHANX_REQUIRE_REDIS=1 but no Redis answers at 127.0.0.1:6379")
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    (tmp_path / "chat.py").write_text(chat_source())
    env = {**os.environ, "CHAT_REDIS_URL": f"redis://{REDIS[0]}:{REDIS[1]}/0"}
    ports = [free_port(), free_port()]
    command = [sys.executable, "-m", "uvicorn", "chat:app", "--ws", "websockets-sansio"]
    processes = [
        subprocess.Popen(
            [*command, "--port", str(port), "--log-level", "warning"], cwd=tmp_path, env=env
        )
        for port in ports
    ]
    try:
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


async def wait_until_serving(port: int) -> None:
    async with asyncio.timeout(30), httpx.AsyncClient() as http:
        while True:
            try:
                await http.get(f"http://127.0.0.1:{port}/docs")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)  # the server process is still starting


async def test_two_processes_on_one_redis_are_one_chat(servers: list[int]) -> None:
    for port in servers:
        await wait_until_serving(port)
    room = f"tutorial-{uuid.uuid4().hex[:8]}"
    first, second = (f"ws://127.0.0.1:{port}/ws/rooms/{room}" for port in servers)
    async with websockets.connect(first) as ann, websockets.connect(second) as bob:
        for ws in (ann, bob):  # a pong means the connection has joined its room
            await ws.send('{"action": "ping"}')
            async with asyncio.timeout(10):
                assert json.loads(await ws.recv())["action"] == "pong"
        await ann.send('{"action": "say", "payload": {"text": "across"}}')
        async with asyncio.timeout(10):
            assert json.loads(await bob.recv()) == {"action": "said", "payload": {"text": "across"}}
        async with httpx.AsyncClient() as http:
            response = await http.post(
                f"http://127.0.0.1:{servers[1]}/rooms/{room}/announce", params={"text": "tea"}
            )
        assert response.json() == {"sent": True}
        async with asyncio.timeout(10):
            frames = [json.loads(await ann.recv()) for _ in range(2)]
        assert {"action": "announcement", "payload": "tea"} in frames
