"""Consumers shared by the Starlette app and the Django site that the ops tests run in
real uvicorn and daphne processes (settings come from environment variables)."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, ClassVar, Literal

from chanx.core.decorators import event_handler, ws_handler
from chanx.messages.base import BaseMessage

SEND_TIMEOUT = float(os.environ.get("OPS_SEND_TIMEOUT", "0.5"))
SHUTDOWN_GRACE = float(os.environ.get("OPS_SHUTDOWN_GRACE", "1.0"))


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"
    payload: Any = None


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"
    payload: Any = None


class Boom(BaseMessage):
    action: Literal["boom"] = "boom"
    payload: Any = None


class Flood(BaseMessage):
    """Ask the server for `payload` frames of 64 KiB (sent to the asking client)."""

    action: Literal["flood"] = "flood"
    payload: int = 300


class Hold(BaseMessage):
    action: Literal["hold"] = "hold"
    payload: float = 0.5


class News(BaseMessage):
    action: Literal["news"] = "news"
    payload: str


def consumers(base: type[Any]) -> dict[str, type[Any]]:
    """The ops consumers on adapter base class `base`, by route name."""

    class Open(base):  # type: ignore[misc,valid-type]
        groups: ClassVar[list[str]] = []
        send_timeout = SEND_TIMEOUT
        shutdown_grace = SHUTDOWN_GRACE

        @ws_handler
        async def handle_ping(self, message: Ping) -> Pong:
            return Pong(payload=message.payload)

        @ws_handler
        async def handle_boom(self, message: Boom) -> None:
            raise RuntimeError("boom from the handler")

        @ws_handler
        async def handle_flood(self, message: Flood) -> None:
            chunk = "x" * 65536
            for i in range(message.payload):
                await self.send_message(Pong(payload=f"{i:06d}{chunk}"))

        @ws_handler
        async def handle_hold(self, message: Hold) -> Pong:
            await asyncio.sleep(message.payload)
            logging.getLogger("ops").info("hold of %s s finished", message.payload)
            return Pong(payload="held")

    class Room(Open):
        """Needs a channel layer: it joins a group and handles an event."""

        groups: ClassVar[list[str]] = ["room"]

        @event_handler
        async def on_news(self, event: News) -> News:
            return event

    class Listed(Open):
        allowed_origins = ("https://*.example.com",)

    return {"open": Open, "room": Room, "listed": Listed}
