"""Walks over every member or connection hold no new object per member while they run.

Objects a walk keeps alive until it ends (a list of `(name, value)` pairs, say) push the
cyclic collector's allocation count up by one per member. With thousands of members that
sets off young collections in the middle of a broadcast; they promote what the server
allocates per send to the oldest generation, and the full collections that follow walk
every connection's objects: at 10,000 members that was a pause of half a second inside
broadcasts (bench/scale.py, section fanout). These tests read the collector's count of
live young objects at every member a walk visits, with the collector off, and fail if it
grows with the number of members.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from chanx.core.watchdog import Watchdog
from chanx.layers import InMemoryChannelLayer
from chanx.layers.memory_channel import LocalChannel

MEMBERS = 3_000
SLACK = 200
"""Young objects a walk may add whatever the group's size (a few per call, not per member)."""


class CountingListener:
    """Takes every message; notes the collector's young-object count when offered one."""

    def __init__(self, counts: list[int]) -> None:
        self.counts = counts

    def offer(self, message: dict[str, Any]) -> bool:
        self.counts.append(gc.get_count()[0])
        return True

    def layer_closed(self) -> None:
        pass


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def growth(counts: list[int], start: int) -> int:
    assert len(counts) >= MEMBERS
    return max(counts) - start


@pytest.mark.usefixtures("collector_off")
async def test_a_broadcast_holds_no_object_per_member() -> None:
    layer = InMemoryChannelLayer()
    counts: list[int] = []
    listener = CountingListener(counts)
    for index in range(MEMBERS):
        channel = f"member-{index}"
        layer.listen(channel, listener)
        await layer.group_add("room", channel)
    await layer.group_send("room", {"type": "warm"})
    counts.clear()
    start = gc.get_count()[0]
    await layer.group_send("room", {"type": "chat", "text": "hi"})
    assert len(counts) == MEMBERS
    assert growth(counts, start) < SLACK
    await layer.close()


@pytest.mark.usefixtures("collector_off")
async def test_a_member_that_leaves_mid_broadcast_is_skipped() -> None:
    layer = InMemoryChannelLayer()
    got: list[str] = []

    class Leaver:
        def __init__(self, name: str) -> None:
            self.name = name

        def offer(self, message: dict[str, Any]) -> bool:
            got.append(self.name)
            for other in ("a", "b", "c"):
                if other != self.name:
                    layer._groups.discard("room", other)  # pyright: ignore[reportPrivateUsage]
            return True

        def layer_closed(self) -> None:
            pass

    for name in ("a", "b", "c"):
        layer.listen(name, Leaver(name))
        await layer.group_add("room", name)
    await layer.group_send("room", {"type": "chat"})
    assert len(got) == 1  # the first member served removed the other two
    await layer.close()


@pytest.mark.usefixtures("collector_off")
async def test_the_layers_sweep_holds_no_object_per_channel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    layer = InMemoryChannelLayer(expiry=60)
    for index in range(MEMBERS):
        await layer.send(f"member-{index}", {"type": "queued"})
    counts: list[int] = []
    purge = LocalChannel.purge

    def counting_purge(self: LocalChannel, now: float) -> int:
        counts.append(gc.get_count()[0])
        return purge(self, now)

    monkeypatch.setattr(LocalChannel, "purge", counting_purge)
    start = gc.get_count()[0]
    layer._sweep(layer.clock() + 120)  # pyright: ignore[reportPrivateUsage]
    assert growth(counts, start) < SLACK
    assert layer.stats.expired == MEMBERS  # every queued message expired, counted once
    assert not layer._channels  # pyright: ignore[reportPrivateUsage]
    await layer.close()


class QuietConnection:
    """What the watchdog reads of a connection: not sending, no backlog; counts reads."""

    frames = None

    def __init__(self, counts: list[int], ticked: asyncio.Event) -> None:
        self._counts = counts
        self._ticked = ticked

    @property
    def send_since(self) -> float:
        self._counts.append(gc.get_count()[0])
        if len(self._counts) == MEMBERS:
            self._ticked.set()
        return 0.0


@pytest.mark.usefixtures("collector_off")
async def test_a_watchdog_tick_holds_no_object_per_connection() -> None:
    dog = Watchdog()
    counts: list[int] = []
    ticked = asyncio.Event()
    for _ in range(MEMBERS):
        dog.live[QuietConnection(counts, ticked)] = (10.0, 5.0)  # type: ignore[index]
    dog.tick = 0.001
    start = gc.get_count()[0]
    task = asyncio.create_task(dog.run())
    await asyncio.wait_for(ticked.wait(), timeout=10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert growth(counts[:MEMBERS], start) < SLACK
