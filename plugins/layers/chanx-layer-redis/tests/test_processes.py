"""Two uvicorn processes share Redis; a third process sends an event to one connection."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import websockets

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent
CLIENTS_PER_SERVER = 4
BROADCASTS = 200


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def servers(count: int, env: dict[str, str]) -> Iterator[list[int]]:
    """Start `count` uvicorn processes on loopback; always kill them."""
    procs: list[subprocess.Popen[bytes]] = []
    ports = [free_port() for _ in range(count)]
    try:
        for port in ports:
            command = [sys.executable, "-m", "uvicorn", "twoproc_app:app", "--port", str(port)]
            command += ["--host", "127.0.0.1", "--ws", "websockets-sansio", "--log-level=warning"]
            procs.append(subprocess.Popen(command, cwd=HERE, env=env))
        deadline = time.monotonic() + 20
        for port, proc in zip(ports, procs, strict=True):
            while True:
                assert proc.poll() is None, f"uvicorn on port {port} exited early"
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"uvicorn on port {port} did not start"
                    time.sleep(0.05)
        yield ports
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(10)


async def next_frame(ws: websockets.ClientConnection) -> dict[str, str]:
    async with asyncio.timeout(10):
        frame: dict[str, str] = json.loads(await ws.recv())
        return frame


async def test_broadcast_crosses_processes_and_an_outside_event_reaches_one_client(
    redis_url: str, prefix: str
) -> None:
    env = {**os.environ, "CHANX_TEST_REDIS_URL": redis_url, "CHANX_TEST_PREFIX": prefix}
    with servers(2, env) as ports:
        urls = [f"ws://127.0.0.1:{port}/ws" for port in ports for _ in range(CLIENTS_PER_SERVER)]
        clients = [await websockets.connect(url) for url in urls]
        try:
            names = []
            for ws in clients:  # a reply proves the connection joined its group
                await ws.send('{"action": "whoami"}')
                names.append((await next_frame(ws))["payload"])
            assert len({name.split("!")[0] for name in names}) == 2  # two process ids

            for n in range(BROADCASTS):
                await clients[0].send(json.dumps({"action": "say", "payload": f"m{n}"}))
            expected = [f"m{n}" for n in range(BROADCASTS)]
            for ws in clients:  # every client on both servers, all of them, in order
                assert [(await next_frame(ws))["payload"] for _ in range(BROADCASTS)] == expected

            target = CLIENTS_PER_SERVER + 1  # a client of the second server
            poke = await asyncio.create_subprocess_exec(
                sys.executable, "twoproc_app.py", names[target], "hello", cwd=HERE, env=env
            )
            async with asyncio.timeout(30):
                assert await poke.wait() == 0
            assert await next_frame(clients[target]) == {"action": "said", "payload": "poke:hello"}
            await clients[-1].send('{"action": "say", "payload": "last"}')
            for ws in clients:  # nobody else got the event: the next frame is the broadcast
                assert (await next_frame(ws))["payload"] == "last"
        finally:
            for ws in clients:
                await ws.close()
