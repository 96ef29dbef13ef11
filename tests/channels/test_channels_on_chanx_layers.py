"""Django Channels' own consumers and layer calls on chanx's layers, configured by
``CHANNEL_LAYERS`` and built by Channels' layer manager (no server: Channels' communicator)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import pytest
from channels.generic.websocket import AsyncJsonWebsocketConsumer, WebsocketConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from chanx.layers.exceptions import LayerClosed


def _redis_installed() -> bool:
    try:
        import chanx_layer_redis  # noqa: F401
    except ImportError:
        return False
    return True


def _config(backend: str) -> dict[str, Any]:
    if backend == "memory":
        return {"BACKEND": "chanx.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 3}}
    prefix = f"channels-compat-{uuid.uuid4().hex[:8]}"
    return {
        "BACKEND": "chanx_layer_redis.RedisChannelLayer",
        "CONFIG": {"url": "redis://127.0.0.1:6379/0", "prefix": prefix, "capacity": 3},
    }


@pytest.fixture(
    params=[
        "memory",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(not _redis_installed(), reason="chanx-layer-redis missing"),
        ),
    ]
)
async def layer(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """The ``default`` layer as Channels builds it from ``CHANNEL_LAYERS``."""
    with override_settings(CHANNEL_LAYERS={"default": _config(request.param)}):
        built = get_channel_layer()
        yield built
        await built.close()


class Relay(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    groups: ClassVar[list[str]] = ["relay"]

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        await self.channel_layer.group_send("relay", {"type": "relay.text", "text": content})

    async def relay_text(self, event: dict[str, Any]) -> None:
        await self.send_json(event["text"])


class SyncRelay(WebsocketConsumer):  # type: ignore[misc]
    groups: ClassVar[list[str]] = ["relay"]

    def relay_text(self, event: dict[str, Any]) -> None:
        self.send(text_data=str(event["text"]))


async def test_channels_builds_the_layer_from_its_config(layer: Any) -> None:
    assert layer.capacity == 3
    assert layer.extensions == ["groups", "flush"]
    assert get_channel_layer() is layer  # one instance per alias, as Channels keeps


async def test_channels_consumers_fan_out_through_the_layer(layer: Any) -> None:
    a = WebsocketCommunicator(Relay.as_asgi(), "/")
    b = WebsocketCommunicator(SyncRelay.as_asgi(), "/")
    assert (await a.connect())[0]
    assert (await b.connect())[0]
    await a.send_json_to({"n": 1})
    assert await a.receive_json_from(timeout=5) == {"n": 1}
    assert await b.receive_from(timeout=5) == "{'n': 1}"
    await a.disconnect()
    await b.disconnect()


async def test_new_channel_names_are_process_local_and_receivable(layer: Any) -> None:
    name = await layer.new_channel()
    assert "!" in name
    assert layer.require_valid_channel_name(name)
    await layer.send(name, {"type": "x.y", "n": 1})
    assert await asyncio.wait_for(layer.receive(name), 5) == {"type": "x.y", "n": 1}


async def test_flush_forgets_groups_and_queued_messages(layer: Any) -> None:
    name = await layer.new_channel()
    await layer.group_add("flushed", name)
    await layer.send(name, {"type": "queued"})
    await layer.flush()
    await layer.group_send("flushed", {"type": "after.flush"})
    await layer.send(name, {"type": "marker"})
    assert await asyncio.wait_for(layer.receive(name), 5) == {"type": "marker"}


async def test_close_ends_the_layer_and_channels_builds_a_fresh_one(layer: Any) -> None:
    await layer.close()
    with pytest.raises(LayerClosed):
        await layer.new_channel()
    from channels.layers import channel_layers

    channel_layers.backends.clear()  # what Channels' setting_changed reset does
    fresh = get_channel_layer()
    assert fresh is not layer
    assert "!" in await fresh.new_channel()
    await fresh.close()
