"""The connection runtime against real uvicorn (websockets-sansio) and real clients.

A burst is slowed by TCP instead of closed (and loses nothing), a handler's timeout does not
drop the connection, and a member is in its groups when its socket opens.
"""

from __future__ import annotations

import asyncio
import json
from typing import ClassVar, Literal

import pytest
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.authenticator import BaseAuthenticator
from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.testing.server import LiveServer

pytestmark = pytest.mark.e2e

MEMBERS, BROADCASTS = 100, 500


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"
    payload: int


class Wait(BaseMessage):
    action: Literal["wait"] = "wait"
    payload: None = None


class Waited(BaseMessage):
    action: Literal["waited"] = "waited"
    payload: str


class DatabaseAuthenticator(BaseAuthenticator):
    async def authenticate(self) -> bool:
        await asyncio.sleep(0.05)  # the Django example's database lookup
        return True


class Hall(AsyncJsonWebsocketConsumer):
    groups: ClassVar[list[str]] = ["hall"]
    authenticator_class = DatabaseAuthenticator
    allow_missing_origin = True

    @ws_handler(output_type=Shout)
    async def handle_shout(self, message: Shout) -> None:
        await self.broadcast_message(message)

    @ws_handler
    async def handle_wait(self, message: Wait) -> Waited:
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(5)
        except TimeoutError:
            return Waited(payload="timed out")
        return Waited(payload="slept")


def app() -> Starlette:
    return Starlette(routes=[WebSocketRoute("/hall", Hall.as_asgi())])


async def test_an_open_loop_burst_of_broadcasts_loses_nothing() -> None:
    async with LiveServer(app()) as server:
        url = server.ws_url("/hall")
        members = [await websockets.connect(url, max_queue=None) for _ in range(MEMBERS)]
        try:
            sender = await websockets.connect(url, max_queue=None)

            async def count(ws: websockets.ClientConnection) -> int:
                got = 0
                while got < BROADCASTS:
                    json.loads(await ws.recv())
                    got += 1
                return got

            counters = [asyncio.ensure_future(count(ws)) for ws in members]
            drain = asyncio.ensure_future(count(sender))
            frames = [json.dumps({"action": "shout", "payload": i}) for i in range(BROADCASTS)]
            for frame in frames:  # open loop: never waits for a reply
                await sender.send(frame)
            async with asyncio.timeout(60):
                delivered = sum(await asyncio.gather(*counters))
                await drain
            assert delivered == MEMBERS * BROADCASTS
            assert sender.close_code is None  # slowed, never closed
            await sender.close()
        finally:
            for ws in members:
                await ws.close()


async def test_a_handler_timeout_keeps_the_connection() -> None:
    async with LiveServer(app()) as server, websockets.connect(server.ws_url("/hall")) as ws:
        await ws.send(json.dumps({"action": "wait"}))
        assert json.loads(await ws.recv()) == {"action": "waited", "payload": "timed out"}
        await ws.send(json.dumps({"action": "wait"}))
        assert json.loads(await ws.recv()) == {"action": "waited", "payload": "timed out"}


async def test_a_broadcast_sent_the_moment_a_socket_opens_reaches_it() -> None:
    async with LiveServer(app()) as server:
        url = server.ws_url("/hall")
        async with websockets.connect(url) as first:
            for i in range(5):
                async with websockets.connect(url) as newcomer:
                    await first.send(json.dumps({"action": "shout", "payload": i}))
                    async with asyncio.timeout(5):
                        assert json.loads(await newcomer.recv())["payload"] == i
                        assert json.loads(await first.recv())["payload"] == i
