"""chanx consumers and Django Channels' own consumers, on the same ``CHANNEL_LAYERS``."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from asgiref.sync import async_to_sync
from channels.consumer import AsyncConsumer
from channels.generic import websocket as channels_websocket

from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage

PLAIN_GROUP = "plain"


def plain_message(text: str, via: str) -> dict[str, Any]:
    """The group message every Channels consumer here handles (``plain_message``)."""
    return {"type": "plain.message", "text": text, "via": via}


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: str


class Notice(BaseMessage):
    action: Literal["notice"] = "notice"
    payload: str


class Room(AsyncJsonWebsocketConsumer):
    """chanx: `say` is broadcast to the room; `Notice` events pass through to clients."""

    groups: ClassVar[list[str]] = ["room"]
    passthrough_events: ClassVar[list[type[BaseMessage]]] = [Notice]

    @ws_handler(output_type=Say)
    async def handle_say(self, message: Say) -> None:
        await self.broadcast_message(message)


class AsyncJson(channels_websocket.AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Channels' async JSON consumer: sends to its group, or to its own channel."""

    groups: ClassVar[list[str]] = [PLAIN_GROUP]

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        message = plain_message(content["text"], "async-json")
        if content.get("to") == "self":
            await self.channel_layer.send(self.channel_name, message)
        else:
            await self.channel_layer.group_send(PLAIN_GROUP, message)

    async def plain_message(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "me": "async-json",
                "text": event["text"],
                "via": event["via"],
                "channel": self.channel_name,
            }
        )


class AsyncText(channels_websocket.AsyncWebsocketConsumer):  # type: ignore[misc]
    """Channels' async text consumer: only receives the group's messages."""

    groups: ClassVar[list[str]] = [PLAIN_GROUP]

    async def plain_message(self, event: dict[str, Any]) -> None:
        reply = {"me": "async", "text": event["text"], "via": event["via"]}
        await self.send(text_data=json.dumps(reply))


class SyncText(channels_websocket.WebsocketConsumer):  # type: ignore[misc]
    """Channels' sync consumer: sends to its group with ``async_to_sync``."""

    groups: ClassVar[list[str]] = [PLAIN_GROUP]

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        async_to_sync(self.channel_layer.group_send)(
            PLAIN_GROUP, plain_message(text_data or "", "sync")
        )

    def plain_message(self, event: dict[str, Any]) -> None:
        reply = {"me": "sync", "text": event["text"], "via": event["via"]}
        self.send(text_data=json.dumps(reply))


JOBS_CHANNEL = "layersite-jobs"


class JobWorker(AsyncConsumer):  # type: ignore[misc]
    """A ``manage.py runworker layersite-jobs`` background consumer: relays jobs to the group."""

    async def job_run(self, message: dict[str, Any]) -> None:
        await self.channel_layer.group_send(PLAIN_GROUP, plain_message(message["text"], "worker"))
