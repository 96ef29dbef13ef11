"""End to end: real uvicorn on loopback, a real WebSocket client."""

from __future__ import annotations

import asyncio
import json
from typing import ClassVar, Literal

import pytest
import websockets
from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage
from chanx.testing.server import LiveServer

pytestmark = pytest.mark.e2e


class Where(BaseMessage):
    action: Literal["where"] = "where"
    payload: None = None


class Here(BaseMessage):
    action: Literal["here"] = "here"
    payload: str


class Hold(BaseMessage):
    action: Literal["hold"] = "hold"
    payload: None = None


class Echo(AsyncJsonWebsocketConsumer):
    groups: ClassVar[list[str]] = ["everyone"]
    started: ClassVar[asyncio.Event]
    cancelled: ClassVar[asyncio.Event]

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler
    async def handle_where(self, message: Where) -> Here:
        return Here(payload=self.scope["path_params"].get("room", "-"))

    @ws_handler
    async def handle_hold(self, message: Hold) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.set()
            raise


async def roundtrip(ws: websockets.ClientConnection, frame: str) -> dict[str, object]:
    await ws.send(frame)
    async with asyncio.timeout(5):
        data: dict[str, object] = json.loads(await ws.recv())
    return data


async def test_starlette_route_with_path_params_and_bad_input() -> None:
    app = Starlette(routes=[WebSocketRoute("/ws/{room}", Echo.as_asgi())])
    async with LiveServer(app) as server, websockets.connect(server.ws_url("/ws/42")) as ws:
        assert await roundtrip(ws, '{"action":"ping"}') == {"action": "pong", "payload": None}
        assert await roundtrip(ws, '{"action":"where"}') == {"action": "here", "payload": "42"}
        for bad in ["{", "[]", '{"action":1}', '{"nope":1}']:
            reply = await roundtrip(ws, bad)
            assert reply["action"] == "error"
        await ws.send(b"\xff\xfe")
        async with asyncio.timeout(5):
            assert json.loads(await ws.recv())["action"] == "error"
        assert await roundtrip(ws, '{"action":"ping"}') == {"action": "pong", "payload": None}


async def test_fastapi_routes_of_every_kind_mount_a_consumer() -> None:
    app = FastAPI()
    app.add_api_websocket_route("/api-route/{room}", Echo.as_asgi())
    app.router.add_websocket_route("/direct/{room}", Echo.as_asgi())
    router = APIRouter()
    router.add_websocket_route("/routed/{room}", Echo.as_asgi())
    router.add_api_websocket_route("/api-routed/{room}", Echo.as_asgi())
    app.include_router(router, prefix="/api")
    async with LiveServer(app) as server:
        paths = [
            ("/api-route/z", "z"),
            ("/direct/a", "a"),
            ("/api/routed/b", "b"),
            ("/api/api-routed/c", "c"),
        ]
        for path, room in paths:
            async with websockets.connect(server.ws_url(path)) as ws:
                assert await roundtrip(ws, '{"action":"where"}') == {
                    "action": "here",
                    "payload": room,
                }


async def test_many_clients_in_order_and_disconnect_cancels_running_handler() -> None:
    Echo.started = asyncio.Event()
    Echo.cancelled = asyncio.Event()
    app = Starlette(routes=[WebSocketRoute("/ws", Echo.as_asgi())])
    async with LiveServer(app) as server:

        async def client(n: int) -> list[str]:
            async with websockets.connect(server.ws_url("/ws")) as ws:
                for _ in range(20):
                    await ws.send('{"action":"ping"}')
                    await ws.send('{"action":"where"}')
                replies = []
                async with asyncio.timeout(10):
                    for _ in range(40):
                        replies.append(json.loads(await ws.recv())["action"])
                return replies

        results = await asyncio.gather(*(client(n) for n in range(10)))
        assert all(r == ["pong", "here"] * 20 for r in results)

        ws = await websockets.connect(server.ws_url("/ws"))
        await ws.send('{"action":"hold"}')
        async with asyncio.timeout(5):
            await Echo.started.wait()
        await ws.close()
        async with asyncio.timeout(5):
            await Echo.cancelled.wait()
