"""Redis layer metrics on a real Redis: publishes, deliveries, reconnects, unavailable drops."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable

import pytest

from chanx.layers import configure_layers, get_channel_layer

from .conftest import Recorded, require_redis
from .test_metrics import Chat, Nudge, client

pytestmark = pytest.mark.redis


async def until(check: Callable[[], bool], timeout: float = 10) -> None:
    for _ in range(int(timeout * 100)):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"not true after {timeout} s")


async def test_publishes_deliveries_and_reconnects_of_a_redis_layer(recorded: Recorded) -> None:
    require_redis()
    prefix = f"chanx-otel-{uuid.uuid4().hex[:8]}"
    url = "redis://127.0.0.1:6379/0"
    configure_layers({"default": {"BACKEND": "redis", "CONFIG": {"url": url, "prefix": prefix}}})
    layer = get_channel_layer()
    try:
        async with client() as ws:
            await Chat.broadcast_event(Nudge(), ["room"])
            assert await ws.receive_json() == {"action": "nudge", "payload": None}
            await layer.drop_connection()  # type: ignore[attr-defined]
            stats = layer.stats  # type: ignore[attr-defined]
            await until(lambda: stats.reconnects == 1 and layer.connected)  # type: ignore[attr-defined]
        value = recorded.value
        assert value("chanx.layer.redis.reconnects", chanx_layer="default") == 1
        sent = value("chanx.layer.messages.sent", chanx_layer="default")
        assert sent == stats.sent + stats.published
        assert stats.published >= 1
        assert value("chanx.layer.messages.delivered", chanx_layer="default") == stats.delivered
        for reason in ("capacity", "expired", "unavailable", "unroutable"):
            dropped = value(
                "chanx.layer.messages.dropped", chanx_layer="default", chanx_drop_reason=reason
            )
            assert dropped == 0
    finally:
        await layer.close()


async def test_sends_while_redis_is_unreachable_count_as_unavailable_drops(
    recorded: Recorded,
) -> None:
    with socket.socket() as sock:  # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {
        "url": f"redis://127.0.0.1:{port}/0",
        "prefix": f"chanx-otel-{uuid.uuid4().hex[:8]}",
        "connect_timeout": 0.5,
        "socket_timeout": 1.0,
        "reconnect_backoff": (0.02, 0.2),
    }
    configure_layers({"default": {"BACKEND": "redis", "CONFIG": config}})
    layer = get_channel_layer()
    try:
        await Chat.broadcast_event(Nudge(), ["room"])  # observed: the layer is watched
        await Chat.broadcast_event(Nudge(), ["elsewhere"])
        stats = layer.stats  # type: ignore[attr-defined]
        await until(lambda: stats.unavailable >= 2)  # a process serving no connection
        value = recorded.value  # publishes directly and counts each failed send at once
        assert stats.unavailable == 2
        assert (
            value(
                "chanx.layer.messages.dropped",
                chanx_layer="default",
                chanx_drop_reason="unavailable",
            )
            == 2
        )
        assert value("chanx.layer.redis.reconnects", chanx_layer="default") == stats.reconnects
    finally:
        await layer.close()
