"""Nothing queued is lost silently: closing sends it, so does the end of an event loop, and
confirmed sends (the ``_sync`` event twins) return only once Redis has the message."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
import redis
from chanx_layer_redis import RedisChannelLayer, RedisUnavailable
from chanx_layer_redis.codec import unpack

from chanx.layers import (
    LayerClosed,
    close_layers,
    configure_layers,
    confirmed_sends,
    reset_layers,
)

pytestmark = pytest.mark.redis

FAST = {"connect_timeout": 0.5, "socket_timeout": 1.0, "reconnect_backoff": (0.02, 0.2)}


class Observer:
    """A plain redis-py subscriber to one group's pub/sub channel, outside any layer."""

    def __init__(self, url: str, prefix: str, group: str) -> None:
        self._client = redis.Redis.from_url(url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._pubsub.subscribe(f"{prefix}:g:{group}")

    def messages(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        """The next `count` group messages (their origin id stripped)."""
        got: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            message = self._pubsub.get_message(timeout=0.2)
            if message is not None:
                got.append(unpack(message["data"][12:]))
        return got

    def close(self) -> None:
        self._pubsub.close()
        self._client.close()


@pytest.fixture
def observer(redis_url: str, prefix: str) -> Any:
    seen = Observer(redis_url, prefix, "room")
    yield seen
    seen.close()


async def test_close_sends_every_queued_group_message_first(
    redis_url: str, prefix: str, observer: Observer
) -> None:
    layer = RedisChannelLayer(url=redis_url, prefix=prefix)
    for n in range(3000):
        await layer.group_send("room", {"type": "m", "n": n})
    await layer.close()
    got = await asyncio.to_thread(observer.messages, 3000)
    assert [m["n"] for m in got] == list(range(3000))
    assert layer.stats.abandoned == 0
    assert layer.stats.published == 3000


async def test_close_gives_up_after_close_timeout_and_counts_what_it_could_not_send(
    own_redis: Any, prefix: str
) -> None:
    configure_layers(
        {
            "default": {
                "BACKEND": "redis",
                "CONFIG": {"url": own_redis.url, "prefix": prefix, "close_timeout": 0.3, **FAST},
            }
        }
    )
    try:
        from chanx.layers import get_channel_layer

        layer = get_channel_layer()
        assert isinstance(layer, RedisChannelLayer)
        await layer.new_channel()  # this loop serves connections: group sends are queued
        with confirmed_sends():
            await layer.group_send("room", {"type": "warm-up"})  # the connection is open
        own_redis.pause()  # the socket stays open; nothing is answered
        for n in range(5):
            await layer.group_send("room", {"type": "m", "n": n})
        started = time.monotonic()
        assert await close_layers() == 5  # the writer was stuck on the frozen server
        assert time.monotonic() - started < 2
        assert layer.stats.abandoned == 5
    finally:
        own_redis.resume()
        reset_layers()


async def test_publisher_close_returns_what_it_abandoned(own_redis: Any, prefix: str) -> None:
    layer = RedisChannelLayer(url=own_redis.url, prefix=prefix, close_timeout=0.3, **FAST)  # type: ignore[arg-type]
    await layer.new_channel()
    link = await layer._links.open(asyncio.get_running_loop())
    with confirmed_sends():
        await layer.group_send("room", {"type": "warm-up"})
    own_redis.pause()
    try:
        for n in range(3):
            await layer.group_send("room", {"type": "m", "n": n})
        assert await link.close() == 3
    finally:
        own_redis.resume()
        await layer.close()


def test_a_group_send_from_a_short_lived_loop_is_out_before_the_loop_ends(
    redis_url: str, prefix: str, observer: Observer
) -> None:
    layer = RedisChannelLayer(url=redis_url, prefix=prefix)
    for n in range(3):  # three loops, one after another, as async_to_sync makes them
        asyncio.run(layer.group_send("room", {"type": "m", "n": n}))
    assert [m["n"] for m in observer.messages(3)] == [0, 1, 2]
    assert layer.stats.published == 3
    asyncio.run(layer.close())


def test_threads_with_loops_of_their_own_share_one_layer(
    redis_url: str, prefix: str, observer: Observer
) -> None:
    layer = RedisChannelLayer(url=redis_url, prefix=prefix)
    errors: list[BaseException] = []

    def task(n: int) -> None:
        async def send() -> None:
            with confirmed_sends():
                await layer.group_send("room", {"type": "m", "n": n})

        try:
            asyncio.run(send())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=task, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sorted(m["n"] for m in observer.messages(8)) == list(range(8))
    asyncio.run(layer.close())


async def test_a_group_send_from_another_threads_loop_reaches_this_process_members(
    redis_url: str, prefix: str
) -> None:
    layer = RedisChannelLayer(url=redis_url, prefix=prefix)
    try:
        channel = await layer.new_channel()
        await layer.group_add("room", channel)

        async def from_elsewhere() -> None:
            with confirmed_sends():
                await layer.group_send("room", {"type": "from-a-thread"})

        await asyncio.to_thread(asyncio.run, from_elsewhere())
        async with asyncio.timeout(5):
            assert await layer.receive(channel) == {"type": "from-a-thread"}
        with pytest.raises(RuntimeError, match="event loop of another thread"):
            await asyncio.to_thread(asyncio.run, layer.new_channel())
        waiting = asyncio.create_task(layer.receive(channel))
        await asyncio.to_thread(asyncio.run, layer.close())  # closes this loop's side too
        async with asyncio.timeout(5):
            with pytest.raises(LayerClosed):
                await waiting
    finally:
        await layer.close()


async def test_a_confirmed_group_send_raises_when_redis_is_unreachable(
    own_redis: Any, prefix: str
) -> None:
    own_redis.stop()
    sender = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    home = RedisChannelLayer(url=own_redis.url, prefix=prefix, **FAST)  # type: ignore[arg-type]
    try:
        with confirmed_sends():
            with pytest.raises(RedisUnavailable):
                await sender.group_send("room", {"type": "lost"})  # from a loop that only sends
            channel = await home.new_channel()
            await home.group_add("room", channel)
            with pytest.raises(RedisUnavailable, match="not published"):
                await home.group_send("room", {"type": "lost"})  # from the receiving loop
        async with asyncio.timeout(2):
            assert await home.receive(channel) == {"type": "lost"}  # local members still get it
        await home.group_send("room", {"type": "unconfirmed"})  # never raises
    finally:
        await sender.close()
        await home.close()
