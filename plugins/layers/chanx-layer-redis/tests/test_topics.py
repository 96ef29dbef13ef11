"""The Redis topic store: offsets, history and presence shared by processes (layers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import redis.asyncio as redis
from chanx_layer_redis import RedisChannelLayer
from chanx_layer_redis.topics import RedisTopicStore

pytestmark = pytest.mark.redis

Factory = Callable[..., Awaitable[RedisChannelLayer]]


@pytest.fixture
async def make(redis_url: str, prefix: str) -> AsyncIterator[Factory]:
    """Layers sharing one prefix (one per simulated process); their keys are removed after."""
    built: list[RedisChannelLayer] = []

    async def factory() -> RedisChannelLayer:
        layer = RedisChannelLayer(url=redis_url, prefix=prefix)
        built.append(layer)
        return layer

    yield factory
    for layer in built:
        if not layer.closed:
            await layer.close()
    client = redis.Redis.from_url(redis_url)
    keys = [key async for key in client.scan_iter(f"{prefix}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def store_of(layer: RedisChannelLayer) -> RedisTopicStore:
    store = layer.topic_store()
    assert isinstance(store, RedisTopicStore)
    return store


async def test_offsets_and_history_are_shared_by_processes(make: Factory) -> None:
    one, two = store_of(await make()), store_of(await make())
    first = await one.append("room/1", {"event": {"n": 1}}, size=3, ttl=None)
    second = await two.append("room/1", {"event": {"n": 2}}, size=3, ttl=None)
    assert (first.offset, second.offset) == (1, 2)
    assert first.epoch == second.epoch
    window = await one.read("room/1", 0, first.epoch, limit=10, ttl=None)
    assert window.entries == [(1, {"event": {"n": 1}}), (2, {"event": {"n": 2}})]
    assert window.position == second
    for n in range(3, 6):
        await two.append("room/1", {"event": {"n": n}}, size=3, ttl=None)
    assert (await one.read("room/1", 1, first.epoch, limit=10, ttl=None)).entries is None
    kept = await one.read("room/1", 2, first.epoch, limit=10, ttl=None)
    assert [offset for offset, _ in kept.entries or ()] == [3, 4, 5]
    assert (await one.read("room/1", 2, first.epoch, limit=2, ttl=None)).entries is None
    assert (await one.read("room/1", 2, "other", limit=10, ttl=None)).entries is None
    assert (await one.read("room/1", 5, first.epoch, limit=10, ttl=None)).entries == []


async def test_a_flush_starts_a_new_epoch(make: Factory, redis_url: str, prefix: str) -> None:
    store = store_of(await make())
    before = await store.append("room/2", {"event": {}}, size=10, ttl=None)
    client = redis.Redis.from_url(redis_url)
    await client.delete(*[key async for key in client.scan_iter(f"{prefix}:*")])
    await client.aclose()
    after = await store.append("room/2", {"event": {}}, size=10, ttl=None)
    assert after.offset == 1
    assert after.epoch != before.epoch
    assert (await store.read("room/2", 1, before.epoch, limit=10, ttl=None)).entries is None


async def test_history_older_than_its_ttl_is_not_resumable(make: Factory) -> None:
    store = store_of(await make())
    first = await store.append("room/3", {"event": {}}, size=10, ttl=0.2)
    await asyncio.sleep(0.3)
    await store.append("room/3", {"event": {}}, size=10, ttl=0.2)
    assert (await store.read("room/3", 0, first.epoch, limit=10, ttl=0.2)).entries is None
    assert (await store.read("room/3", 1, first.epoch, limit=10, ttl=0.2)).entries is not None


async def test_position_of_a_new_topic_gives_the_epoch_its_pushes_will_have(
    make: Factory,
) -> None:
    store = store_of(await make())
    position = await store.position("room/4")
    assert position.offset == 0
    pushed = await store.append("room/4", {"event": {}}, size=0, ttl=None)
    assert (pushed.offset, pushed.epoch) == (1, position.epoch)


async def test_presence_is_shared_and_a_dead_process_expires_with_a_report(
    make: Factory,
) -> None:
    alive, dying = store_of(await make()), store_of(await make())
    for store in (alive, dying):
        store.presence_ttl = 0.3
    reports: list[tuple[str, str, Any]] = []
    alive.on_presence_expired = lambda *report: reports.append(report)
    await alive.presence_join("room/5", "a", {"name": "ann"})
    await dying.presence_join("room/5", "b", None)
    assert await alive.presence_members("room/5") == [("a", {"name": "ann"}), ("b", None)]
    assert dying._renewer is not None
    dying._renewer.cancel()  # the process dies: nobody renews "b" any more
    await asyncio.sleep(0.6)  # "a" is renewed every 0.1 s meanwhile
    assert await alive.presence_members("room/5") == [("a", {"name": "ann"})]
    assert reports == [("room/5", "b", None)]
    assert await alive.presence_leave("room/5", "a") is True
    assert await alive.presence_leave("room/5", "a") is False
    assert await dying.presence_members("room/5") == []
