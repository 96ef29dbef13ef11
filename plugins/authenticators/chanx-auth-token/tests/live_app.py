"""A token-authenticated consumer for ``uvicorn live_app:app`` (test_live.py)."""

from __future__ import annotations

from typing import Any, Literal

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage

SECRET = "live-token-tests-hmac-secret-32-bytes!"


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"
    payload: Any = None


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"
    payload: Any = None


class Chat(AsyncJsonWebsocketConsumer):
    authenticator_class = "token"
    authenticator_options = {"key": SECRET}

    @ws_handler
    async def handle_ping(self, message: Ping) -> Pong:
        return Pong(payload=message.payload)


app = Starlette(routes=[WebSocketRoute("/ws", Chat.as_asgi())])
