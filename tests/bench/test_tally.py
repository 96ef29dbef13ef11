"""bench/tally.py: the delivery tally every fan-out load client keeps."""

from __future__ import annotations

import importlib
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture
def tally_module() -> Iterator[ModuleType]:
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("tally")
    finally:
        sys.path.remove(str(BENCH))


async def test_a_broadcast_is_done_once_every_member_has_it(tally_module: ModuleType) -> None:
    tally = tally_module.Tally(2)
    done = tally.expect(0)
    tally.record(0, 0, tally.sent_ns[0] + 5)
    assert not done.is_set()
    tally.record(1, 0, tally.sent_ns[0] + 7)
    assert done.is_set()
    assert tally.counts == {0: 2}
    assert tally.latencies_ns == []  # not measuring yet: counted only


async def test_while_measuring_latencies_and_arrival_ranks_are_kept_per_member(
    tally_module: ModuleType,
) -> None:
    tally = tally_module.Tally(2)
    tally.measuring = True
    tally.expect(3)
    tally.record(1, 3, tally.sent_ns[3] + 10)
    tally.record(0, 3, tally.sent_ns[3] + 30)
    assert tally.latencies_ns == [10, 30]
    assert tally.member_latencies == [[30], [10]]
    assert tally.member_ranks == [[2], [1]]


async def test_burst_deliveries_are_only_counted(tally_module: ModuleType) -> None:
    tally = tally_module.Tally(2)
    tally.measuring = True
    tally.record(0, tally_module.BURST_BASE + 4, 0)
    assert tally.burst_received == 1
    assert (tally.counts, tally.latencies_ns) == ({}, [])
    assert tally.last_delivery > 0


async def test_the_lean_client_callback_reads_the_sequence_number_and_skips_other_frames(
    tally_module: ModuleType,
) -> None:
    tally = tally_module.Tally(1)
    done = tally.expect(12)
    tally.on_message(SimpleNamespace(index=0), b'{"action":"joined"}')
    assert not done.is_set()
    tally.on_message(SimpleNamespace(index=0), tally_module.shout(12).encode())
    assert done.is_set()


async def test_the_websockets_reader_records_each_frame_and_the_close_code(
    tally_module: ModuleType,
) -> None:
    tally = tally_module.Tally(2)
    done = tally.expect(0)

    class Connection:
        async def __aiter__(self) -> AsyncIterator[str]:
            yield tally_module.shout(0)
            raise ConnectionClosed(Close(4429, "slow"), None)

    await tally.read(Connection(), 0)
    await tally.read(Connection(), 1)
    assert done.is_set()
    assert tally.closes == ["4429", "4429"]
