"""The Redis layer hands its own channels' messages to a listener: no task per connection.

A channel of this process (made by `new_channel`) is served on the loop that made it: a
listener registered with `listen` is offered every message for it, whether it comes from
this process or through Redis from another, inside the call that delivers it; a busy
listener declines and takes the queue later with `receive_nowait`, in order. Channels the
layer cannot offer (list channels, other processes' channels) answer False, and the caller
receives them with `receive` as before.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from chanx_layer_redis import RedisChannelLayer

from chanx.layers import LayerClosed

pytestmark = pytest.mark.redis

HERE = Path(__file__).resolve().parent


class Listener:
    """Takes what it is offered unless `busy`; sets `got` once `expect` messages arrived."""

    def __init__(self, expect: int = 1) -> None:
        self.busy = False
        self.took: list[dict[str, Any]] = []
        self.offers = 0
        self.closed = 0
        self.expect = expect
        self.got = asyncio.Event()

    def offer(self, message: dict[str, Any]) -> bool:
        self.offers += 1
        if self.busy:
            return False
        self.took.append(message)
        if len(self.took) >= self.expect:
            self.got.set()
        return True

    def layer_closed(self) -> None:
        self.closed += 1


@pytest.fixture
async def pair(redis_url: str, prefix: str) -> AsyncIterator[tuple[RedisChannelLayer, ...]]:
    """Two layers on one Redis: two processes, as far as the layer can tell."""
    here = RedisChannelLayer(url=redis_url, prefix=prefix)
    there = RedisChannelLayer(url=redis_url, prefix=prefix)
    try:
        yield here, there
    finally:
        await here.close()
        await there.close()


async def test_messages_from_another_process_are_offered_to_the_listener(
    pair: tuple[RedisChannelLayer, RedisChannelLayer],
) -> None:
    here, there = pair
    channel = await here.new_channel()
    await here.group_add("room", channel)
    listener = Listener(expect=3)
    assert here.listen(channel, listener) is True
    await there.send(channel, {"type": "direct", "n": 1})
    await there.group_send("room", {"type": "broadcast", "n": 2})
    await here.send(channel, {"type": "local", "n": 3})  # this process: no Redis round trip
    async with asyncio.timeout(10):
        await listener.got.wait()
    assert [m["n"] for m in listener.took] == [1, 2, 3]
    assert here.receive_nowait(channel) is None
    assert here.stats.delivered >= 3


async def test_a_busy_listener_takes_the_queue_later_in_order(
    pair: tuple[RedisChannelLayer, RedisChannelLayer],
) -> None:
    here, there = pair
    channel, beacon = await here.new_channel(), await here.new_channel()
    listener, lookout = Listener(), Listener()
    assert here.listen(channel, listener)
    assert here.listen(beacon, lookout)
    listener.busy = True
    for n in range(5):
        await there.send(channel, {"type": "direct", "n": n})
    await there.send(beacon, {"type": "done"})  # published after the five, read after them
    async with asyncio.timeout(10):
        await lookout.got.wait()
    await here.send(channel, {"type": "direct", "n": "local"})  # behind the queue
    assert listener.took == []
    assert listener.offers == 1  # only while nothing is queued
    queued = []
    while (message := here.receive_nowait(channel)) is not None:
        queued.append(message["n"])
    assert queued == [0, 1, 2, 3, 4, "local"]


async def test_after_unlisten_messages_go_to_receive(
    pair: tuple[RedisChannelLayer, RedisChannelLayer],
) -> None:
    here, there = pair
    channel = await here.new_channel()
    listener = Listener()
    assert here.listen(channel, listener)
    here.unlisten(channel, listener)
    await there.send(channel, {"type": "direct", "n": 1})
    async with asyncio.timeout(10):
        assert (await here.receive(channel))["n"] == 1
    assert listener.offers == 0


async def test_channels_it_cannot_offer_are_declined(
    pair: tuple[RedisChannelLayer, RedisChannelLayer],
) -> None:
    here, there = pair
    listener = Listener()
    assert here.listen("jobs.list-channel", listener) is False  # before the layer started
    channel = await here.new_channel()
    assert here.listen("jobs.list-channel", listener) is False  # a list channel (no "!")
    assert here.listen(await there.new_channel(), listener) is False  # another process's
    assert here.listen(channel, listener) is True


async def test_closing_the_layer_tells_the_listener(redis_url: str, prefix: str) -> None:
    layer = RedisChannelLayer(url=redis_url, prefix=prefix)
    channel = await layer.new_channel()
    listener = Listener()
    assert layer.listen(channel, listener)
    await layer.close()
    assert listener.closed == 1
    with pytest.raises(LayerClosed):
        layer.listen(channel, listener)
    with pytest.raises(LayerClosed):
        layer.receive_nowait(channel)


@pytest.mark.e2e
async def test_a_uvicorn_process_on_redis_parks_no_task_per_connection(
    redis_url: str, prefix: str, servers: Any
) -> None:
    env = {**os.environ, "CHANX_TEST_REDIS_URL": redis_url, "CHANX_TEST_PREFIX": prefix}
    with servers(1, env) as (server,):
        clients = [await websockets.connect(server.url) for _ in range(5)]
        try:
            names = []
            for ws in clients:  # a reply proves the connection is open and in its group
                await ws.send('{"action": "whoami"}')
                async with asyncio.timeout(10):
                    names.append(json.loads(await ws.recv())["payload"])
            async with httpx.AsyncClient(timeout=10) as http:
                census = (await http.get(f"http://127.0.0.1:{server.port}/receivers")).json()
            assert census == {"parked": 0, "listening": 5}

            await clients[0].send('{"action": "say", "payload": "hi"}')
            poke = await asyncio.create_subprocess_exec(
                sys.executable, "twoproc_app.py", names[3], "there", cwd=HERE, env=env
            )
            async with asyncio.timeout(30):
                assert await poke.wait() == 0
            for n, ws in enumerate(clients):
                async with asyncio.timeout(10):
                    frames = [json.loads(await ws.recv())["payload"]]
                    if n == 3:  # the event from another process, after the broadcast
                        frames.append(json.loads(await ws.recv())["payload"])
                assert frames == (["hi", "poke:there"] if n == 3 else ["hi"])
        finally:
            for ws in clients:
                await ws.close()
