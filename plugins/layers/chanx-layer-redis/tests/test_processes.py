"""Two uvicorn processes share Redis; a third process sends an event to one connection."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import websockets

pytestmark = [pytest.mark.redis, pytest.mark.e2e]

HERE = Path(__file__).resolve().parent
CLIENTS_PER_SERVER = 4
BROADCASTS = 200


async def next_frame(ws: websockets.ClientConnection) -> dict[str, str]:
    async with asyncio.timeout(10):
        frame: dict[str, str] = json.loads(await ws.recv())
        return frame


async def test_broadcast_crosses_processes_and_an_outside_event_reaches_one_client(
    redis_url: str, prefix: str, servers: Any
) -> None:
    env = {**os.environ, "CHANX_TEST_REDIS_URL": redis_url, "CHANX_TEST_PREFIX": prefix}
    with servers(2, env) as running:
        urls = [server.url for server in running for _ in range(CLIENTS_PER_SERVER)]
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
