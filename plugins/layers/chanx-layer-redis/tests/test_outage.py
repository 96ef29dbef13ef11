"""Redis outages: a private redis-server is killed and restarted in the middle of traffic."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from chanx_layer_redis import RedisChannelLayer, RedisUnavailable

pytestmark = pytest.mark.redis

FAST = {"connect_timeout": 0.5, "socket_timeout": 1.0, "reconnect_backoff": (0.02, 0.2)}


async def recv(layer: RedisChannelLayer, channel: str) -> dict[str, Any]:
    async with asyncio.timeout(2):
        return await layer.receive(channel)


async def until(predicate: Any, timeout: float = 5) -> None:
    """Wait for a state the layer has no event for (the reader noticing a dead socket)."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 (the reader's state has no public event)
            await asyncio.sleep(0.01)


async def test_redis_restart_mid_traffic_then_delivery_resumes(own_redis: Any, prefix: str) -> None:
    one = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    two = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    try:
        mine, theirs = await one.new_channel(), await two.new_channel()
        await one.group_add("room", mine)
        await two.group_add("room", theirs)
        for n in range(10):
            await one.group_send("room", {"type": "m", "n": n})
        assert [(await recv(two, theirs))["n"] for _ in range(10)] == list(range(10))

        own_redis.stop()
        async with asyncio.timeout(3):  # nothing hangs during the outage
            for n in range(10, 15):
                await one.group_send("room", {"type": "m", "n": n})  # never raises
            await until(lambda: not one.connected and not two.connected)
            with pytest.raises(RedisUnavailable):
                await one.send(theirs, {"type": "lost"})
            await one.group_send("room", {"type": "m", "n": 15})
        # Local members were served all along; the other process missed the outage's messages.
        assert [(await recv(one, mine))["n"] for _ in range(16)] == list(range(16))
        assert one.stats.unavailable >= 2
        assert one.stats.reconnects >= 1
        assert two.stats.reconnects >= 1

        own_redis.start()
        await one.wait_connected(10)
        await two.wait_connected(10)  # resubscribed to its process channel and to "room"
        await one.group_send("room", {"type": "m", "n": "after"})
        await one.send(theirs, {"type": "direct"})
        assert (await recv(two, theirs))["n"] == "after"
        assert await recv(two, theirs) == {"type": "direct"}
        assert (await recv(one, mine))["n"] == "after"
    finally:
        await one.close()
        await two.close()


async def test_a_dropped_connection_is_rebuilt_with_its_subscriptions(
    redis_url: str, prefix: str
) -> None:
    one = RedisChannelLayer(url=redis_url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    two = RedisChannelLayer(url=redis_url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    try:
        theirs = await two.new_channel()
        await two.group_add("room", theirs)
        await two.drop_connection()
        await until(lambda: two.stats.reconnects == 1 and two.connected)
        await one.group_send("room", {"type": "after-drop"})
        assert await recv(two, theirs) == {"type": "after-drop"}
    finally:
        await one.close()
        await two.close()


async def test_a_layer_started_while_redis_is_down_serves_locally_then_connects(
    own_redis: Any, prefix: str
) -> None:
    own_redis.stop()
    layer = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    try:
        async with asyncio.timeout(3):
            channel = await layer.new_channel()  # waits connect_timeout at most, once
            await layer.group_add("room", channel)
            await layer.group_send("room", {"type": "local"})
        assert await recv(layer, channel) == {"type": "local"}
        own_redis.start()
        await layer.wait_connected(10)
        await layer.group_send("room", {"type": "again"})
        assert await recv(layer, channel) == {"type": "again"}
        assert layer.stats.unavailable == 1  # the group_send made while Redis was down
    finally:
        await layer.close()


async def test_after_a_restart_the_first_group_message_arrives_once_both_are_connected(
    own_redis: Any, prefix: str
) -> None:
    one = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    two = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    try:
        theirs = await two.new_channel()
        await two.group_add("room", theirs)
        await one.group_send("room", {"type": "m", "n": "before"})  # pools a connection
        assert (await recv(two, theirs))["n"] == "before"

        own_redis.stop()  # nothing is sent during the outage: the pooled connection stays
        own_redis.start()
        await until(lambda: two.stats.reconnects >= 1)
        await two.wait_connected(10)  # resubscription confirmed: the loss window is over
        await one.group_send("room", {"type": "m", "n": "after"})
        assert (await recv(two, theirs))["n"] == "after"
        assert one.stats.retried == 1
        assert one.stats.unavailable == 0
    finally:
        await one.close()
        await two.close()
