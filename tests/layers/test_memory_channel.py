"""`LocalChannel` and `pace`: one in-memory channel's queue, waiters and listener, and how a
burst waits for a lagging receiver."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from chanx.layers.base import LayerStats
from chanx.layers.memory_channel import STALL_TURNS, LocalChannel, pace, wake


def msg(n: int = 0) -> dict[str, Any]:
    return {"type": "test.message", "n": n}


class Listener:
    """Takes what it is offered unless `busy`; raises when `fail`."""

    def __init__(self) -> None:
        self.busy = False
        self.fail = False
        self.took: list[dict[str, Any]] = []

    def offer(self, message: dict[str, Any]) -> bool:
        if self.fail:
            raise RuntimeError("listener bug")
        if self.busy:
            return False
        self.took.append(message)
        return True

    def layer_closed(self) -> None:
        pass


def filled(capacity: int, queued: int) -> LocalChannel:
    """A channel of `capacity` holding `queued` messages that expire at t=100."""
    state = LocalChannel(capacity)
    for n in range(queued):
        state.enqueue(100.0, msg(n))
    return state


class Turns:
    """Counts event-loop turns: a task that increments `count` once per turn."""

    def __init__(self) -> None:
        self.count = 0
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            self.count += 1
            await asyncio.sleep(0)

    async def stop(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


# --- lagging and idle ------------------------------------------------------------------------


def test_a_channel_lags_only_when_more_than_half_full() -> None:
    assert not LocalChannel(8).lagging()  # nothing queued
    assert not filled(8, 4).lagging()  # exactly half
    assert filled(8, 5).lagging()


def test_a_channel_whose_receiver_stalled_does_not_lag_until_it_receives_again() -> None:
    state = filled(8, 6)
    state.stalled_at = state.taken
    assert not state.lagging()
    state.take(0.0, LayerStats())
    assert state.lagging()


def test_a_channel_is_idle_only_with_no_queue_waiter_or_listener() -> None:
    state = LocalChannel(4)
    assert state.idle()
    state.enqueue(100.0, msg())
    assert not state.idle()
    state.take(0.0, LayerStats())
    assert state.idle()
    state.listener = Listener()
    assert not state.idle()


# --- the listener ----------------------------------------------------------------------------


def test_offer_without_a_listener_is_declined() -> None:
    state = LocalChannel(4)
    assert state.offer(msg()) is False
    assert state.taken == 0


def test_a_taken_offer_counts_as_received_once_per_message() -> None:
    state = LocalChannel(4)
    listener = state.listener = Listener()
    assert state.offer(msg(1)) is True
    assert state.offer(msg(2)) is True
    assert listener.took == [msg(1), msg(2)]
    assert state.taken == 2


def test_a_declined_offer_is_not_counted() -> None:
    state = LocalChannel(4)
    listener = state.listener = Listener()
    listener.busy = True
    assert state.offer(msg()) is False
    assert state.taken == 0


def test_a_raising_listener_declines_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    state = LocalChannel(4)
    listener = state.listener = Listener()
    listener.fail = True
    with caplog.at_level(logging.ERROR, logger="chanx.layers"):
        assert state.offer(msg()) is False
    assert state.taken == 0
    (record,) = caplog.records
    assert record.getMessage() == "a channel listener raised; the message is queued instead"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "listener bug"


# --- queue, expiry and give-back --------------------------------------------------------------


def test_enqueue_returns_the_length_before_the_append() -> None:
    state = LocalChannel(4)
    assert state.enqueue(100.0, msg(1)) == 0
    assert state.enqueue(100.0, msg(2)) == 1


def test_take_skips_and_counts_messages_whose_deadline_has_come() -> None:
    state = LocalChannel(4)
    state.enqueue(10.0, msg(1))
    state.enqueue(11.0, msg(2))
    stats = LayerStats()
    assert state.take(10.0, stats) == msg(2)  # a deadline equal to now has passed
    assert (stats.expired, stats.delivered, state.taken) == (1, 1, 1)


def test_purge_discards_messages_whose_deadline_has_come() -> None:
    state = LocalChannel(4)
    state.enqueue(10.0, msg(1))
    state.enqueue(10.5, msg(2))
    assert state.purge(10.0) == 1  # a deadline equal to now has passed
    assert state.take(10.0, LayerStats()) == msg(2)


def test_a_given_back_message_is_first_in_line_again() -> None:
    state = LocalChannel(4)
    state.enqueue(100.0, msg(2))
    state.enqueue(100.0, msg(3))
    state.give_back(msg(1), 100.0)
    stats = LayerStats()
    assert [state.take(0.0, stats) for _ in range(4)] == [msg(1), msg(2), msg(3), None]


async def test_a_given_back_message_goes_to_a_waiting_receiver_first() -> None:
    state = LocalChannel(4)
    waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    state.waiting().append(waiter)
    state.give_back(msg(1), 100.0)
    assert waiter.result() == msg(1)
    assert not state.queue


# --- waiting receivers -----------------------------------------------------------------------


async def test_waiting_receivers_are_woken_oldest_first() -> None:
    loop = asyncio.get_running_loop()
    state = LocalChannel(4)
    first: asyncio.Future[dict[str, Any]] = loop.create_future()
    second: asyncio.Future[dict[str, Any]] = loop.create_future()
    state.waiting().append(first)
    state.waiting().append(second)
    assert state.wake_waiter(msg(1))
    assert state.wake_waiter(msg(2))
    assert (first.result(), second.result()) == (msg(1), msg(2))
    assert not state.wake_waiter(msg(3))  # nobody left


async def test_a_cancelled_waiter_is_skipped() -> None:
    loop = asyncio.get_running_loop()
    state = LocalChannel(4)
    gone: asyncio.Future[dict[str, Any]] = loop.create_future()
    gone.cancel()
    assert not wake(gone, msg())
    live: asyncio.Future[dict[str, Any]] = loop.create_future()
    state.waiting().extend([gone, live])
    assert state.wake_waiter(msg(1))
    assert live.result() == msg(1)


async def test_only_cancelled_waiters_means_nobody_was_woken() -> None:
    state = LocalChannel(4)
    gone: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    gone.cancel()
    state.waiting().append(gone)
    assert not state.wake_waiter(msg())
    assert not state.waiters


# --- pace ------------------------------------------------------------------------------------


async def receiving(state: LocalChannel, every: int = 1) -> asyncio.Task[None]:
    """A receiver that takes one message at once, then one every `every` loop turns."""

    async def run() -> None:
        stats = LayerStats()
        while True:
            state.take(0.0, stats)
            for _ in range(every):
                await asyncio.sleep(0)

    return asyncio.get_running_loop().create_task(run())


async def test_pace_returns_once_the_channel_drains_to_a_quarter() -> None:
    state = filled(8, 7)
    receiver = await receiving(state)
    await pace(state)
    receiver.cancel()
    assert len(state.queue or ()) == 2  # 8 // 4
    assert state.stalled_at == -1


async def test_pace_waits_for_a_slow_receiver_that_keeps_progressing() -> None:
    state = filled(16, 12)
    receiver = await receiving(state, every=STALL_TURNS)
    await pace(state)
    receiver.cancel()
    assert len(state.queue or ()) == 4
    assert state.stalled_at == -1  # idle for STALL_TURNS - 1 turns at most, never STALL_TURNS


async def test_pace_marks_a_receiver_that_takes_nothing_as_stalled() -> None:
    state = filled(8, 7)
    state.taken = 3
    turns = Turns()
    await pace(state)
    await turns.stop()
    assert turns.count == STALL_TURNS
    assert state.stalled_at == 3
    assert not state.lagging()


async def test_pace_does_not_wait_for_a_receiver_already_stalled() -> None:
    state = filled(8, 7)
    state.stalled_at = state.taken
    turns = Turns()
    await pace(state)
    await turns.stop()
    assert turns.count == 1


async def test_pace_stops_when_the_queue_is_discarded() -> None:
    state = filled(8, 7)

    async def flush() -> None:
        await asyncio.sleep(0)
        state.queue = None

    flushing = asyncio.get_running_loop().create_task(flush())
    turns = Turns()
    await pace(state)
    await turns.stop()
    await flushing
    assert turns.count <= 2
    assert state.stalled_at == -1
