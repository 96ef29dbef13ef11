"""The observed consumer the metrics and traces tests drive, its messages, and a client."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import event_handler, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.testing.communicator import WebsocketCommunicator

log = logging.getLogger("tests.chanx_otel")
"""Logs "handling ping" inside every `ping` handler (trace ids are read off its records)."""

release = asyncio.Event()
"""`hold` frames are answered once this is set."""


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"


class Boom(BaseMessage):
    action: Literal["boom"] = "boom"


class Hold(BaseMessage):
    action: Literal["hold"] = "hold"


class Leave(BaseMessage):
    action: Literal["leave"] = "leave"


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"


class Nudge(BaseMessage):
    action: Literal["nudge"] = "nudge"


class Chat(AsyncJsonWebsocketConsumer):
    """Observed by `otel`, in group `room`: ping -> pong, boom raises, hold waits for
    `release`, leave closes with 4000, shout relays a pong to the room, nudge events relay."""

    observers = ("otel",)
    groups = ["room"]

    @ws_handler
    async def handle_ping(self, message: Ping) -> Pong:
        log.warning("handling ping")
        return Pong()

    @ws_handler
    async def handle_boom(self, message: Boom) -> None:
        raise RuntimeError("boom")

    @ws_handler
    async def handle_hold(self, message: Hold) -> Pong:
        await release.wait()
        return Pong()

    @ws_handler
    async def handle_leave(self, message: Leave) -> None:
        await self.close(4000, "bye")

    @ws_handler
    async def handle_shout(self, message: Shout) -> None:
        await self.broadcast_message(Pong())

    @event_handler
    async def handle_nudge(self, event: Nudge) -> Nudge:
        return event


def client(cls: type = Chat, path: str = "/chat", **kwargs: Any) -> WebsocketCommunicator:
    """A communicator to `cls` served alone on a Starlette app at `path`."""
    app = Starlette(routes=[WebSocketRoute(path, cls.as_asgi())])
    return WebsocketCommunicator(app, path, **kwargs)
