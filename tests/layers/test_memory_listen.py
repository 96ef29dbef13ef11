"""The in-memory layer's listeners: messages offered within the sender's call, queued when
declined (capacity, expiry, drops as for any receiver), taken later with `receive_nowait`;
and the rotating order of a broadcast."""

from __future__ import annotations

import asyncio
import logging
import statistics
from typing import Any

import pytest

from chanx.layers import ChannelFull, InMemoryChannelLayer, LayerClosed


class Listener:
    """Takes what it is offered unless `busy`; records what it took."""

    def __init__(self, name: str = "", order: list[str] | None = None) -> None:
        self.name = name
        self.order = order
        self.busy = False
        self.fail = False
        self.took: list[dict[str, Any]] = []
        self.closed = 0

    def offer(self, message: dict[str, Any]) -> bool:
        if self.fail:
            raise RuntimeError("listener bug")
        if self.busy:
            return False
        self.took.append(message)
        if self.order is not None:
            self.order.append(self.name)
        return True

    def layer_closed(self) -> None:
        self.closed += 1


def msg(n: int = 0) -> dict[str, Any]:
    return {"type": "test.message", "n": n}


async def test_a_listener_takes_sends_and_broadcasts_within_the_call() -> None:
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    listener = Listener()
    layer.listen(channel, listener)
    await layer.group_add("room", channel)
    await layer.send(channel, msg(1))
    assert listener.took == [msg(1)]  # before any other task ran
    await layer.group_send("room", msg(2))
    assert listener.took == [msg(1), msg(2)]
    assert layer.receive_nowait(channel) is None
    assert (layer.stats.sent, layer.stats.delivered) == (2, 2)


async def test_a_busy_listener_gets_the_queue_in_order_later() -> None:
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    listener = Listener()
    layer.listen(channel, listener)
    await layer.group_add("room", channel)
    listener.busy = True
    await layer.send(channel, msg(1))
    await layer.group_send("room", msg(2))
    listener.busy = False
    await layer.send(channel, msg(3))  # something is queued: not offered, queued behind
    assert listener.took == []
    taken = [layer.receive_nowait(channel) for _ in range(4)]
    assert taken == [msg(1), msg(2), msg(3), None]
    await layer.send(channel, msg(4))  # the queue is empty again: offered
    assert listener.took == [msg(4)]


async def test_declined_messages_keep_capacity_drops_and_expiry() -> None:
    layer = InMemoryChannelLayer(capacity=2, expiry=5)
    now = [1000.0]
    layer.clock = lambda: now[0]
    channel = await layer.new_channel()
    listener = Listener()
    listener.busy = True
    layer.listen(channel, listener)
    await layer.group_add("room", channel)
    await layer.send(channel, msg(1))
    await layer.send(channel, msg(2))
    with pytest.raises(ChannelFull):
        await layer.send(channel, msg(3))
    await layer.group_send("room", msg(4))  # dropped for the full member, counted
    assert layer.stats.dropped_full == 2
    now[0] += 6  # both queued messages expire
    assert layer.receive_nowait(channel) is None
    assert layer.stats.expired == 2


async def test_a_waiting_receive_is_served_before_the_listener() -> None:
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    listener = Listener()
    layer.listen(channel, listener)
    waiting = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, msg(1))
    assert await waiting == msg(1)
    assert listener.took == []


async def test_a_raising_listener_breaks_no_broadcast_and_its_message_is_queued(
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer = InMemoryChannelLayer()
    broken, fine = Listener(), Listener()
    channels = [await layer.new_channel() for _ in range(2)]
    layer.listen(channels[0], broken)
    layer.listen(channels[1], fine)
    for channel in channels:
        await layer.group_add("room", channel)
    broken.fail = True
    with caplog.at_level(logging.ERROR, logger="chanx.layers"):
        await layer.group_send("room", msg(1))
    assert fine.took == [msg(1)]
    assert layer.receive_nowait(channels[0]) == msg(1)
    assert "channel listener raised" in caplog.text


async def test_unlisten_flush_sweep_and_close() -> None:
    layer = InMemoryChannelLayer(expiry=1)
    now = [1000.0]
    layer.clock = lambda: now[0]
    layer._next_sweep = now[0] + layer._sweep_interval
    channel = await layer.new_channel()
    listener = Listener()
    layer.listen(channel, listener)
    await layer.flush()
    now[0] += 5
    await layer.send(await layer.new_channel(), msg())  # runs the sweep
    assert channel in layer._channels  # a listened channel is kept while idle
    await layer.send(channel, msg(1))
    assert listener.took == [msg(1)]
    other = Listener()
    layer.unlisten(channel, other)  # not its listener: nothing changes
    layer.unlisten(channel, listener)
    assert channel not in layer._channels
    await layer.send(channel, msg(2))
    assert listener.took == [msg(1)]
    layer.listen(channel, listener)
    await layer.close()
    assert listener.closed == 1
    with pytest.raises(LayerClosed):
        layer.receive_nowait(channel)
    with pytest.raises(LayerClosed):
        layer.listen(channel, listener)


async def test_broadcasts_start_at_a_rotating_member_so_none_is_always_first_or_last() -> None:
    layer = InMemoryChannelLayer()
    order: list[str] = []
    size, broadcasts = 20, 40
    names = [f"m{i}" for i in range(size)]
    for name in names:
        channel = await layer.new_channel()
        layer.listen(channel, Listener(name, order))
        await layer.group_add("room", channel)
    rounds = []
    for n in range(broadcasts):
        order.clear()
        await layer.group_send("room", msg(n))
        assert sorted(order) == sorted(names)  # everyone, once
        rounds.append(list(order))
    firsts = [r[0] for r in rounds]
    lasts = [r[-1] for r in rounds]
    assert max(firsts.count(name) for name in names) <= 4
    assert max(lasts.count(name) for name in names) <= 4
    mean_position = [statistics.mean(r.index(name) for r in rounds) for name in names]
    assert all(0.3 * size < position < 0.7 * size for position in mean_position)


async def test_a_one_member_group_and_a_sent_message_keep_their_order() -> None:
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("solo", channel)
    for n in range(3):
        await layer.group_send("solo", msg(n))
    assert [(await layer.receive(channel))["n"] for _ in range(3)] == [0, 1, 2]
