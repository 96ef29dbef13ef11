"""The Django side of the room: same group and event as `twoproc_app.Room`."""

from __future__ import annotations

from typing import ClassVar, Literal

from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage


class Poke(BaseMessage):
    action: Literal["poke"] = "poke"
    payload: str


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"
    payload: None = None


class Room(AsyncJsonWebsocketConsumer[Poke]):
    groups: ClassVar[list[str]] = ["room"]

    @ws_handler
    async def handle_ping(self, message: Ping) -> None:
        return None
