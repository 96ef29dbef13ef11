from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from chanx.layers import BaseChannelLayer, ChannelFull, InMemoryChannelLayer, LayerClosed
from chanx.testing.layer_contract import LayerContract


class TestInMemoryLayerContract(LayerContract):
    async def make_layer(self, **config: Any) -> BaseChannelLayer:
        return InMemoryChannelLayer(**config)


class FakeClock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make(clock: FakeClock | None = None, **config: Any) -> InMemoryChannelLayer:
    layer = InMemoryChannelLayer(**config)
    if clock is not None:
        layer.clock = clock
        layer._next_sweep = clock.now + layer._sweep_interval
    return layer


def msg(**fields: Any) -> dict[str, Any]:
    return {"type": "test.message", **fields}


# --- messages are shared, not copied -------------------------------------------------------


async def test_group_send_delivers_the_same_object_to_every_member() -> None:
    layer = make()
    members = [await layer.new_channel() for _ in range(3)]
    for channel in members:
        await layer.group_add("room", channel)
    waiting = asyncio.create_task(layer.receive(members[0]))  # one hand-off, two queued
    await asyncio.sleep(0)
    message = msg(payload={"text": "hi"})
    await layer.group_send("room", message)
    received = [await waiting] + [await layer.receive(c) for c in members[1:]]
    assert all(item is message for item in received)


async def test_send_does_not_copy_the_message() -> None:
    layer = make()
    channel = await layer.new_channel()
    message = msg()
    await layer.send(channel, message)
    assert await layer.receive(channel) is message


# --- counters ------------------------------------------------------------------------------


async def test_stats_count_sent_delivered_dropped_and_expired(clock: FakeClock) -> None:
    layer = make(clock, capacity=2, expiry=10)
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", a)
    await layer.group_add("room", b)
    for n in range(3):
        await layer.group_send("room", msg(n=n))  # the third broadcast finds both full
    with pytest.raises(ChannelFull):
        await layer.send(a, msg())
    assert await layer.receive(a) == msg(n=0)
    clock.now += 11
    await layer.send(a, msg(n="fresh"))
    assert await layer.receive(a) == msg(n="fresh")  # n=1 expired on the way
    assert (layer.stats.sent, layer.stats.delivered) == (5, 2)
    # n=1 on `a` and both messages on `b` expired (the sweep found b's)
    assert (layer.stats.dropped_full, layer.stats.expired) == (3, 3)


async def test_a_full_channel_accepts_again_once_its_messages_expire(clock: FakeClock) -> None:
    layer = make(clock, capacity=1, expiry=5)
    channel = await layer.new_channel()
    await layer.send(channel, msg(n=0))
    with pytest.raises(ChannelFull):
        await layer.send(channel, msg(n=1))
    clock.now += 6
    await layer.send(channel, msg(n=2))
    assert await layer.receive(channel) == msg(n=2)
    assert layer.stats.expired == 1


# --- rate-limited drop log -----------------------------------------------------------------


async def test_drops_are_logged_at_most_once_per_interval_with_a_count(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    layer = make(clock, capacity=1)
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    with caplog.at_level(logging.WARNING, logger="chanx.layers"):
        for _ in range(6):  # one queued, five dropped
            await layer.group_send("room", msg())
        assert len(caplog.records) == 1
        assert caplog.records[0].dropped == 1  # type: ignore[attr-defined]
        clock.now += layer.drop_log_interval
        await layer.group_send("room", msg())
        await layer.group_send("room", msg())
        await layer.close()  # reports what was dropped since the last line
    assert [r.dropped for r in caplog.records] == [1, 5, 1]  # type: ignore[attr-defined]
    assert "group 'room'" in caplog.records[1].getMessage()
    assert layer.stats.dropped_full == 7


async def test_send_raising_channel_full_is_counted_but_not_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    layer = make(capacity=1)
    channel = await layer.new_channel()
    await layer.send(channel, msg())
    with caplog.at_level(logging.WARNING, logger="chanx.layers"), pytest.raises(ChannelFull):
        await layer.send(channel, msg())
    assert caplog.records == []
    assert layer.stats.dropped_full == 1


# --- memory does not grow with dead channels ------------------------------------------------


async def test_expired_undelivered_channels_are_swept(clock: FakeClock) -> None:
    layer = make(clock, expiry=5)
    dead = [await layer.new_channel() for _ in range(50)]
    for channel in dead:
        await layer.send(channel, msg())
    assert len(layer._channels) == 50
    clock.now += 6
    live = await layer.new_channel()
    await layer.send(live, msg())  # any send past the sweep interval sweeps
    assert set(layer._channels) == {live}
    assert layer.stats.expired == 50


async def test_a_cancelled_receive_on_an_empty_channel_forgets_it() -> None:
    layer = make()
    channel = await layer.new_channel()
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    assert channel in layer._channels
    receiving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await receiving
    assert channel not in layer._channels


async def test_expired_memberships_and_empty_groups_are_swept(clock: FakeClock) -> None:
    layer = make(clock, expiry=5, group_expiry=5)
    channel = await layer.new_channel()
    await layer.group_add("old-room", channel)
    clock.now += 6
    await layer.send(await layer.new_channel(), msg())
    assert layer._groups.members == {}


async def test_a_waiting_receiver_is_never_swept(clock: FakeClock) -> None:
    layer = make(clock, expiry=5)
    channel = await layer.new_channel()
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    clock.now += 60
    await layer.send(await layer.new_channel(), msg())  # sweeps
    await layer.send(channel, msg(n=1))
    assert await receiving == msg(n=1)


# --- concurrency -----------------------------------------------------------------------------


async def test_a_receiver_cancelled_after_the_hand_off_gives_the_message_back() -> None:
    layer = make()
    channel = await layer.new_channel()
    unlucky = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, msg(n=1))  # handed to `unlucky`, which has not run yet
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert await layer.receive(channel) == msg(n=1)


async def test_a_returned_message_goes_to_another_waiting_receiver() -> None:
    layer = make()
    channel = await layer.new_channel()
    unlucky = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    other = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, msg(n=1))
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    async with asyncio.timeout(1):
        assert await other == msg(n=1)


async def test_a_receiver_whose_event_loop_closed_is_skipped() -> None:
    layer = make()
    channel = await layer.new_channel()
    other_loop = asyncio.new_event_loop()
    orphan = other_loop.create_future()
    orphan.add_done_callback(lambda _: None)  # waking it would need the closed loop
    other_loop.close()
    layer._new_state(channel).waiting().append(orphan)
    await layer.send(channel, msg(n=1))
    assert await layer.receive(channel) == msg(n=1)


async def test_burst_to_slow_receivers_loses_nothing_at_default_capacity() -> None:
    """500 back-to-back broadcasts to 100 receivers that each yield twice per message."""
    layer = make()
    members = [await layer.new_channel() for _ in range(100)]
    for channel in members:
        await layer.group_add("room", channel)
    total, received = 500 * 100, 0
    all_in = asyncio.Event()

    async def receiver(channel: str) -> None:
        nonlocal received
        while True:
            await layer.receive(channel)
            await asyncio.sleep(0)  # e.g. a websocket send that yields
            await asyncio.sleep(0)
            received += 1
            if received == total:
                all_in.set()

    tasks = [asyncio.create_task(receiver(channel)) for channel in members]
    try:
        for n in range(500):
            await layer.group_send("room", msg(n=n))
        async with asyncio.timeout(10):
            await all_in.wait()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert layer.stats.dropped_full == 0


async def test_a_member_with_no_receiver_does_not_stall_broadcasts() -> None:
    layer = make(capacity=10)
    dead, live = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room", dead)
    await layer.group_add("room", live)
    got: list[int] = []
    all_in = asyncio.Event()

    async def receiver() -> None:
        while True:
            got.append((await layer.receive(live))["n"])
            if len(got) == 200:
                all_in.set()

    task = asyncio.create_task(receiver())
    try:
        async with asyncio.timeout(2):
            for n in range(200):
                await layer.group_send("room", msg(n=n))
            await all_in.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert got == list(range(200))
    assert layer.stats.dropped_full == 190  # all for the dead member


# --- flush and close -----------------------------------------------------------------------


async def test_flush_keeps_pending_receivers_waiting() -> None:
    layer = make()
    channel = await layer.new_channel()
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.flush()
    await layer.send(channel, msg(n="after-flush"))
    assert await receiving == msg(n="after-flush")


async def test_close_fails_pending_and_later_calls_with_layer_closed() -> None:
    layer = make()
    channel = await layer.new_channel()
    receiving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.close()
    await layer.close()  # idempotent
    assert layer.closed
    with pytest.raises(LayerClosed, match="closed while this receive was waiting"):
        await receiving
    with pytest.raises(LayerClosed, match="is closed"):
        await layer.send(channel, msg())
    with pytest.raises(LayerClosed):
        await layer.receive(channel)
    with pytest.raises(LayerClosed):
        await layer.group_send("room", msg())


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "error", "match"),
    [
        ({"capacity": 0}, ValueError, "capacity must be positive"),
        ({"capacity": 1.5}, TypeError, "capacity must be an int"),
        ({"capacity": True}, TypeError, "capacity must be an int"),
        ({"expiry": -1}, ValueError, "expiry must be positive"),
        ({"expiry": float("inf")}, ValueError, "expiry must be positive and finite"),
        ({"group_expiry": "1d"}, TypeError, "group_expiry must be a number of seconds"),
        ({"channel_capacity": {"a.*": 0}}, ValueError, r"channel_capacity\['a.\*'\]"),
    ],
)
def test_bad_config_values_are_rejected(
    config: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        InMemoryChannelLayer(**config)


def test_unknown_config_keys_are_rejected() -> None:
    with pytest.raises(TypeError, match="capacty"):
        InMemoryChannelLayer(capacty=10)  # type: ignore[call-arg]


def test_channel_capacity_uses_the_first_matching_pattern() -> None:
    import re

    layer = InMemoryChannelLayer(
        capacity=7, channel_capacity={"http.*": 50, re.compile(r"ws\."): 20, "*": 3}
    )
    assert layer.get_capacity("http.request") == 50
    assert layer.get_capacity("ws.connect") == 20
    assert layer.get_capacity("other") == 3
    assert repr(layer) == "InMemoryChannelLayer(capacity=7, expiry=60, group_expiry=86400)"


# --- counters on each delivery path --------------------------------------------------------


async def test_each_hand_off_to_a_waiting_receiver_counts_one_sent_and_delivered() -> None:
    layer = make()
    channel = await layer.new_channel()
    for n in range(2):
        receiving = asyncio.create_task(layer.receive(channel))
        await asyncio.sleep(0)
        await layer.send(channel, msg(n=n))
        assert await receiving == msg(n=n)
    assert (layer.stats.sent, layer.stats.delivered) == (2, 2)


async def test_each_send_taken_by_a_listener_counts_one_sent_and_delivered() -> None:
    class Taker:
        def __init__(self) -> None:
            self.took: list[dict[str, Any]] = []

        def offer(self, message: dict[str, Any]) -> bool:
            self.took.append(message)
            return True

        def layer_closed(self) -> None:
            pass

    layer = make()
    channel = await layer.new_channel()
    taker = Taker()
    layer.listen(channel, taker)
    for n in range(2):
        await layer.send(channel, msg(n=n))
    assert taker.took == [msg(n=0), msg(n=1)]
    assert (layer.stats.sent, layer.stats.delivered) == (2, 2)


async def test_a_send_at_capacity_discards_and_counts_expired_messages_between_sweeps(
    clock: FakeClock,
) -> None:
    layer = make(clock, capacity=1, expiry=40)  # sweeps every 30 s, expiry 40 s
    stale, channel = await layer.new_channel(), await layer.new_channel()
    await layer.send(stale, msg(n="stale"))
    await layer.send(channel, msg(n=0))
    clock.now += 41
    assert layer.receive_nowait(stale) is None  # expired on receive: counted
    assert layer.stats.expired == 1
    layer._next_sweep = clock.now + 10  # no sweep during the next send
    await layer.send(channel, msg(n=1))  # full, but its message expired: room again
    assert layer.stats.expired == 2
    assert layer.receive_nowait(channel) == msg(n=1)


async def test_expired_messages_are_counted_by_the_periodic_sweep_not_on_every_send(
    clock: FakeClock,
) -> None:
    layer = make(clock, expiry=5)  # sweeps every 5 s
    early, late = await layer.new_channel(), await layer.new_channel()
    clock.now += 4
    await layer.send(early, msg(n="early"))  # expires at +9
    clock.now += 1
    await layer.send(late, msg(n="late"))  # +5: the first sweep, nothing expired yet
    clock.now += 4.5
    await layer.send(late, msg(n="later"))  # +9.5: `early` expired, but no sweep is due
    assert layer.stats.expired == 0
    assert early in layer._channels
    clock.now += 1
    await layer.send(late, msg(n="last"))  # +10.5: the next sweep
    assert layer.stats.expired == 2  # `early` and the first message on `late`
    assert early not in layer._channels


async def test_a_sweep_adds_to_the_expired_count(clock: FakeClock) -> None:
    layer = make(clock, expiry=5)
    a, b = await layer.new_channel(), await layer.new_channel()
    await layer.send(a, msg())
    await layer.send(b, msg())
    clock.now += 6
    assert layer.receive_nowait(a) is None  # counted on receive
    await layer.send(a, msg())  # the sweep counts b's
    assert layer.stats.expired == 2


# --- flush -------------------------------------------------------------------------------------


async def test_a_listened_channel_queues_again_after_a_flush() -> None:
    class Busy:
        def offer(self, message: dict[str, Any]) -> bool:
            return False

        def layer_closed(self) -> None:
            pass

    layer = make()
    channel = await layer.new_channel()
    layer.listen(channel, Busy())
    await layer.send(channel, msg(n=0))
    await layer.flush()
    assert layer.receive_nowait(channel) is None
    await layer.send(channel, msg(n=1))
    assert layer.receive_nowait(channel) == msg(n=1)


# --- several receivers on one channel ----------------------------------------------------------


async def test_receivers_waiting_on_one_channel_get_messages_in_the_order_they_came() -> None:
    layer = make()
    channel = await layer.new_channel()
    first = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    second = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, msg(n=1))
    await layer.send(channel, msg(n=2))
    assert (await first, await second) == (msg(n=1), msg(n=2))


async def test_cancelling_one_of_two_waiting_receivers_keeps_the_other_waiting() -> None:
    layer = make()
    channel = await layer.new_channel()
    leaving = asyncio.create_task(layer.receive(channel))
    staying = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    leaving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leaving
    await layer.send(channel, msg(n=1))
    async with asyncio.timeout(1):
        assert await staying == msg(n=1)


async def test_a_send_before_a_cancelled_receiver_ran_skips_it_and_queues() -> None:
    layer = make()
    channel = await layer.new_channel()
    leaving = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    leaving.cancel()  # its wait is cancelled; the task has not run yet
    await layer.send(channel, msg(n=1))
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert layer.receive_nowait(channel) == msg(n=1)


async def test_a_message_handed_to_a_receiver_cancelled_after_a_sweep_is_given_back(
    clock: FakeClock,
) -> None:
    layer = make(clock, expiry=5)
    channel = await layer.new_channel()
    unlucky = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, msg(n=1))  # handed over; the channel now looks idle
    clock.now += 6
    await layer.send(await layer.new_channel(), msg())  # the sweep forgets it
    assert channel not in layer._channels
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert layer.receive_nowait(channel) == msg(n=1)
    clock.now += 4.9
    await layer.send(channel, msg(n=2))
    assert layer.stats.expired == 0  # given back with a fresh expiry


async def test_a_message_handed_to_a_receiver_cancelled_after_close_is_not_kept() -> None:
    layer = make()
    channel = await layer.new_channel()
    unlucky = asyncio.create_task(layer.receive(channel))
    await asyncio.sleep(0)
    await layer.send(channel, msg(n=1))
    await layer.close()
    unlucky.cancel()
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    assert layer._channels == {}
