"""Topics on the Redis layer through both adapters: offsets, resume and presence in Redis."""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import pytest

from chanx.testing.django import setup_django

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "django_chat"
os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
setup_django("chat_project.settings", path=EXAMPLE)

import redis.asyncio as redis  # noqa: E402
from channels.layers import channel_layers  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from chanx_layer_redis import RedisChannelLayer  # noqa: E402
from chanx_layer_redis.topics import RedisTopicStore  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.routing import WebSocketRoute  # noqa: E402

from chanx.channels.websocket import AsyncJsonWebsocketConsumer as DjangoConsumer  # noqa: E402
from chanx.core.topic import Topic  # noqa: E402
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer as StarletteConsumer  # noqa: E402
from chanx.layers import close_layers, configure_layers, reset_layers  # noqa: E402
from chanx.messages.base import BaseMessage  # noqa: E402
from chanx.testing import WebsocketCommunicator  # noqa: E402
from chanx.testing.django import WebsocketCommunicator as DjangoCommunicator  # noqa: E402

pytestmark = pytest.mark.redis


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: str


class StarletteRoom(Topic[Said]):
    pattern = "room/{room_id}"
    history_size = 50
    track_presence = True
    presence_events = True


class DjangoRoom(Topic[Said]):
    pattern = "room/{room_id}"
    history_size = 50
    track_presence = True
    presence_events = True


class StarletteRooms(StarletteConsumer):
    topics = [StarletteRoom]


class DjangoRooms(DjangoConsumer):
    topics = [DjangoRoom]


@pytest.fixture(params=["starlette", "django"])
async def adapter(
    request: pytest.FixtureRequest, redis_url: str, prefix: str
) -> AsyncIterator[Any]:
    """(app, communicator class, topic class) on the Redis layer under a fresh prefix."""
    config = {"url": redis_url, "prefix": prefix}
    if request.param == "starlette":
        reset_layers()
        configure_layers({"default": {"BACKEND": "redis", "CONFIG": config}})
        app = Starlette(routes=[WebSocketRoute("/ws", StarletteRooms.as_asgi())])
        yield app, WebsocketCommunicator, StarletteRoom
        await close_layers()
        reset_layers()
    else:
        layers = {"default": {"BACKEND": "chanx_layer_redis.RedisChannelLayer", "CONFIG": config}}
        with override_settings(CHANNEL_LAYERS=layers):
            channel_layers.backends.clear()
            yield URLRouter([path("ws", DjangoRooms.as_asgi())]), DjangoCommunicator, DjangoRoom
            for layer in list(channel_layers.backends.values()):
                await layer.close()
            channel_layers.backends.clear()
    client = redis.Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def test_offsets_history_and_presence_live_in_redis(adapter: Any) -> None:
    app, communicator, room = adapter
    layer = room.get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    assert isinstance(layer.topic_store(), RedisTopicStore)
    client = communicator(app, "/ws")
    await client.connect()
    first = await client.subscribe("room/1")
    joined = await client.receive_json()
    assert joined["action"] == "presence_join"
    assert [m.id for m in await room.presence("room/1")] == [joined["payload"]["id"]]
    await room.broadcast("room/1", Said(payload="seen"))
    seen = await client.receive_json()
    assert (seen["offset"], seen["epoch"]) == (1, first["epoch"])
    await client.disconnect()
    assert await room.presence("room/1") == []
    for n in range(3):
        await room.broadcast("room/1", Said(payload=f"missed {n}"))
    again = communicator(app, "/ws")
    await again.connect()
    resumed = await again.subscribe("room/1", since={"offset": 1, "epoch": first["epoch"]})
    assert (resumed["recovered"], resumed["offset"]) == (True, 4)
    missed = [await again.receive_json() for _ in range(3)]
    assert [m["payload"] for m in missed] == ["missed 0", "missed 1", "missed 2"]
    assert (await again.receive_json())["action"] == "presence_join"
    await again.disconnect()
