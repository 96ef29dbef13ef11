"""A room for the fan-out benchmark: every connection joins ``room``; ``say`` is broadcast.

The channel layer comes from the environment, so the same consumer runs on each layer:
``BENCH_LAYER`` is ``chanx-redis``, ``chanx-redis-cluster`` or ``channels_redis-pubsub``
(channels_redis's ``RedisPubSubChannelLayer``, through chanx's layer configuration), and
``BENCH_REDIS_URL`` / ``BENCH_PREFIX`` say where.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar, Literal

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import configure_layers
from chanx.messages.base import BaseMessage

KIND = os.environ["BENCH_LAYER"]
URL = os.environ["BENCH_REDIS_URL"]
PREFIX = os.environ["BENCH_PREFIX"]


class PubSubLayer:
    """channels_redis's pub/sub layer with its methods spelt out.

    It forwards every method through ``__getattr__`` to a per-event-loop layer, which chanx's
    layer configuration does not recognise as a channel layer; this forwards them explicitly.
    """

    extensions: ClassVar[list[str]] = ["groups", "flush"]

    def __init__(self, **config: Any) -> None:
        from channels_redis.pubsub import RedisPubSubChannelLayer

        self._layer = RedisPubSubChannelLayer(**config)

    async def new_channel(self, prefix: str = "specific.") -> str:
        name: str = await self._layer.new_channel(prefix)
        return name

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        await self._layer.send(channel, message)

    async def receive(self, channel: str) -> dict[str, Any]:
        message: dict[str, Any] = await self._layer.receive(channel)
        return message

    async def group_add(self, group: str, channel: str) -> None:
        await self._layer.group_add(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        await self._layer.group_discard(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        await self._layer.group_send(group, message)

    async def flush(self) -> None:
        await self._layer.flush()

    async def close(self) -> None:
        await self._layer.flush()


if KIND == "channels_redis-pubsub":
    entry: dict[str, Any] = {
        "BACKEND": "fanout_room.PubSubLayer",
        "CONFIG": {"hosts": [URL], "prefix": PREFIX},
    }
else:
    entry = {
        "BACKEND": "redis",
        "CONFIG": {
            "url": URL,
            "prefix": PREFIX,
            "capacity": 1000,
            "cluster": KIND == "chanx-redis-cluster",
        },
    }
configure_layers({"default": entry})


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: int


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: int


class Room(AsyncJsonWebsocketConsumer):
    """Broadcasts each ``say`` to the room (the sender included)."""

    groups: ClassVar[list[str]] = ["room"]
    send_completion = False
    log_websocket_message = False

    @ws_handler
    async def handle_say(self, message: Say) -> None:
        await self.broadcast_message(Said(payload=message.payload))


app = Starlette(routes=[WebSocketRoute("/ws", Room.as_asgi())])
