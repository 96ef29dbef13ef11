"""Cross-process behaviour of the Redis layer: two layer instances act as two processes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from chanx_layer_redis import RedisChannelLayer

from chanx.layers import (
    ChannelFull,
    LayerClosed,
    close_layers,
    configure_layers,
    get_channel_layer,
    reset_layers,
)

pytestmark = pytest.mark.redis

Factory = Callable[..., Awaitable[RedisChannelLayer]]


@pytest.fixture
async def make(redis_url: str, prefix: str) -> AsyncIterator[Factory]:
    """Build layers sharing one prefix (one per simulated process); close them afterwards."""
    built: list[RedisChannelLayer] = []

    async def factory(**config: Any) -> RedisChannelLayer:
        config.setdefault("url", redis_url)
        layer = RedisChannelLayer(prefix=prefix, **config)
        built.append(layer)
        return layer

    yield factory
    for layer in built:
        if not layer.closed:
            await layer.flush()
            await layer.close()


async def recv(layer: RedisChannelLayer, channel: str) -> dict[str, Any]:
    async with asyncio.timeout(2):
        return await layer.receive(channel)


async def test_group_send_publishes_once_and_reaches_members_in_both_processes(
    make: Factory,
) -> None:
    one, two = await make(), await make()
    local = [await one.new_channel() for _ in range(3)]
    remote = [await two.new_channel() for _ in range(3)]
    for channel in local:
        await one.group_add("room", channel)
    for channel in remote:
        await two.group_add("room", channel)
    await one.group_send("room", {"type": "hi", "blob": b"\x00\xff"})
    for layer, channels in ((one, local), (two, remote)):
        for channel in channels:
            assert await recv(layer, channel) == {"type": "hi", "blob": b"\x00\xff"}
    await one.send(remote[0], {"type": "direct"})  # queued behind the group PUBLISH
    assert await recv(two, remote[0]) == {"type": "direct"}
    assert one.stats.published == 2  # one PUBLISH per group send, whatever the group size
    assert one.stats.sent == 3  # local members only; the echo of its own publish is skipped
    assert two.stats.sent == 4


async def test_send_reaches_a_channel_of_another_process_in_order(make: Factory) -> None:
    one, two = await make(), await make()
    channel = await two.new_channel()
    for n in range(20):
        await one.send(channel, {"type": "n", "n": n})
    assert [(await recv(two, channel))["n"] for _ in range(20)] == list(range(20))
    with pytest.raises(ValueError, match="another process"):
        await one.receive(channel)
    with pytest.raises(ValueError, match="only channels created by"):
        await one.group_add("room", channel)


async def test_a_remote_full_channel_drops_counts_and_logs_once(
    make: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    one, two = await make(), await make(capacity=2)
    channel = await two.new_channel()
    await two.group_add("room", channel)
    probe = await two.new_channel()
    with caplog.at_level(logging.WARNING, logger="chanx.layers"):
        for n in range(5):
            await one.send(channel, {"type": "n", "n": n})
        for n in range(5, 8):
            await one.group_send("room", {"type": "n", "n": n})
        # Publishes are processed in order: once the probe arrived, so had everything before.
        await one.send(probe, {"type": "probe"})
        assert await recv(two, probe) == {"type": "probe"}
    assert [(await recv(two, channel))["n"] for _ in range(2)] == [0, 1]
    assert two.stats.dropped_full == 6
    drops = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(drops) == 1  # at most one line per interval
    await two.send(channel, {"type": "x"})
    await two.send(channel, {"type": "x"})
    with pytest.raises(ChannelFull):  # a local send still raises
        await two.send(channel, {"type": "x"})


async def test_send_to_a_process_that_is_gone_is_counted_as_unroutable(make: Factory) -> None:
    one, two = await make(), await make()
    channel = await two.new_channel()
    await two.close()
    await one.send(channel, {"type": "lost"})
    assert one.stats.unroutable == 1


async def test_memberships_of_a_closed_process_end_with_it(make: Factory) -> None:
    one, two = await make(), await make()
    mine, theirs = await one.new_channel(), await two.new_channel()
    await one.group_add("room", mine)
    await two.group_add("room", theirs)
    await two.close()  # like a crash: nothing was discarded
    await one.group_send("room", {"type": "after"})
    assert await recv(one, mine) == {"type": "after"}
    with pytest.raises(LayerClosed):
        await two.receive(theirs)


async def test_worker_channels_are_shared_lists_with_capacity_and_expiry(make: Factory) -> None:
    one, two = await make(capacity=2, expiry=0.3), await make(capacity=2, expiry=0.3)
    await one.send("thumbnails", {"type": "job", "n": 1})
    await one.send("thumbnails", {"type": "job", "n": 2})
    with pytest.raises(ChannelFull):
        await two.send("thumbnails", {"type": "job", "n": 3})
    assert (await recv(two, "thumbnails"))["n"] == 1
    await asyncio.sleep(0.45)  # the second job outlives its expiry
    await one.send("thumbnails", {"type": "job", "n": 4})
    assert (await recv(one, "thumbnails"))["n"] == 4
    assert one.stats.delivered == 1  # the stale job was discarded, never delivered


async def test_group_expiry_ends_a_membership_that_is_not_renewed(make: Factory) -> None:
    one, two = await make(group_expiry=0.3), await make(group_expiry=0.3)
    stale, fresh = await two.new_channel(), await two.new_channel()
    await two.group_add("room", stale)
    await asyncio.sleep(0.45)
    await two.group_add("room", fresh)
    await one.group_send("room", {"type": "m"})
    assert await recv(two, fresh) == {"type": "m"}
    await two.send(stale, {"type": "sentinel"})
    assert await recv(two, stale) == {"type": "sentinel"}


async def test_backend_redis_alias_builds_the_layer_through_the_plugin(
    redis_url: str, prefix: str
) -> None:
    config = {"url": redis_url, "prefix": prefix}
    configure_layers({"default": {"BACKEND": "redis", "CONFIG": config}})
    try:
        layer = get_channel_layer()
        # Compared by name: kernel tests may have re-imported the plugin's modules.
        assert type(layer).__qualname__ == "RedisChannelLayer"
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "ok"})
        async with asyncio.timeout(2):
            assert await layer.receive(channel) == {"type": "ok"}
        await close_layers()
    finally:
        reset_layers()


def test_configuration_errors_are_clear() -> None:
    with pytest.raises(ValueError, match="either url"):
        RedisChannelLayer(url="redis://x", hosts=["redis://y"])
    with pytest.raises(ValueError, match="exactly one entry"):
        RedisChannelLayer(hosts=["redis://a", "redis://b"])
    with pytest.raises(ValueError, match="service_name"):
        RedisChannelLayer(sentinels=[("127.0.0.1", 26379)])
    with pytest.raises(ValueError, match="prefix"):
        RedisChannelLayer(prefix="a b")
    assert RedisChannelLayer(hosts=[("127.0.0.1", 6379)], ssl=True).prefix == "chanx"


@pytest.mark.parametrize(
    "hosts",
    [
        ["redis://127.0.0.1:6379/0"],
        [("127.0.0.1", 6379)],
        [{"address": "redis://127.0.0.1:6379/0", "health_check_interval": 30}],
    ],
)
async def test_hosts_in_channels_redis_shapes_reach_the_server(hosts: Any, prefix: str) -> None:
    layer = RedisChannelLayer(hosts=hosts, prefix=prefix)
    try:
        await layer.wait_connected(5)
        channel = await layer.new_channel()
        await layer.group_add("room", channel)
        await layer.group_send("room", {"type": "ok"})
        assert await recv(layer, channel) == {"type": "ok"}
    finally:
        await layer.close()
