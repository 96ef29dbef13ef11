"""Topics over real uvicorn on loopback, on both adapters, with a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from chanx.testing.server import LiveServer
from tests.core.test_topics import chat

pytestmark = pytest.mark.e2e


async def next_frame(ws: websockets.ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(5):
        frame: dict[str, Any] = json.loads(await ws.recv())
        return frame


async def test_two_sockets_share_a_topic_and_one_resumes_after_reconnecting(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    async with LiveServer(app) as server:
        url = server.ws_url("/chat")
        async with websockets.connect(url) as ann, websockets.connect(url) as bob:
            for ws in (ann, bob):
                await ws.send(
                    '{"action": "subscribe", "version": 1, "topic": "room/e", "ref": "s"}'
                )
                subscribed = await next_frame(ws)
                assert subscribed["action"] == "subscribed"
            await bob.send('{"action": "say", "version": 1, "topic": "room/e", "payload": "hi"}')
            pushes = [await next_frame(ann), await next_frame(bob)]
            assert [p["offset"] for p in pushes] == [1, 1]
            await ann.close()
            for n in range(3):
                say = {"action": "say", "version": 1, "topic": "room/e", "payload": str(n)}
                await bob.send(json.dumps(say))
                await next_frame(bob)
        async with websockets.connect(url) as ann:
            since = {"offset": 1, "epoch": subscribed["epoch"]}
            resume = {"action": "subscribe", "version": 1, "topic": "room/e", "since": since}
            await ann.send(json.dumps(resume))
            reply = await next_frame(ann)
            assert (reply["recovered"], reply["offset"]) == (True, 4)
            assert [(await next_frame(ann))["payload"] for _ in range(3)] == ["0", "1", "2"]
