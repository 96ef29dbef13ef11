"""A consumer with one topic and a ping handler, for `bench/topics.py --socket`."""

from __future__ import annotations

from typing import Literal

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.core.topic import Topic
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


class Note(BaseMessage):
    action: Literal["note"] = "note"
    payload: str


class NoteTopic(Topic[Note]):
    pattern = "notes/{n}"


class TopicPingConsumer(AsyncJsonWebsocketConsumer):
    topics = [NoteTopic]
    subscribe_rate = None
    send_completion = False
    log_websocket_message = False

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()


app = Starlette(routes=[WebSocketRoute("/ws", TopicPingConsumer.as_asgi())])
