"""What a fan-out load client's members received: the one tally every load client keeps.

The sender numbers its closed-loop `shout`s from 0 and its burst ones from `BURST_BASE`.
Each member hands every frame it receives to the `Tally`: `on_message` is the callback of a
`leanws` connection (`bench/scale_client.py`), `read` the reading task of a `websockets` one
(`bench/fanout_local.py`, `bench/scale_workers.py`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import leanws

TEXT = "hello everyone in the room"
BURST_BASE = 1_000_000  # burst sequence numbers start here, apart from the closed loop's
SEQ = re.compile(rb'"seq":\s*(\d+)')


def shout(seq: int) -> str:
    """The frame the sender sends: a `shout` carrying sequence number `seq`."""
    return json.dumps({"action": "shout", "payload": {"seq": seq, "text": TEXT}})


class Tally:
    """Per-broadcast counts, and, while `measuring`, latencies and arrival ranks.

    A closed-loop delivery counts toward its broadcast, and `done[seq]` is set once every
    member has it; while `measuring` its latency (from `sent_ns[seq]`) is recorded, overall
    and for its member, with its rank among that broadcast's arrivals. A burst delivery is
    only counted in `burst_received`.
    """

    def __init__(self, members: int) -> None:
        self.members = members
        self.sent_ns: dict[int, int] = {}
        self.counts: dict[int, int] = {}
        self.done: dict[int, asyncio.Event] = {}
        self.latencies_ns: list[int] = []
        self.member_latencies: list[list[int]] = [[] for _ in range(members)]
        self.member_ranks: list[list[int]] = [[] for _ in range(members)]
        self.measuring = False
        self.burst_received = 0
        self.last_delivery = 0.0
        self.closes: list[str] = []  # close codes `read` saw before the client closed

    def expect(self, seq: int) -> asyncio.Event:
        """Note that broadcast `seq` is sent now; the event is set once every member has it."""
        self.done[seq] = done = asyncio.Event()
        self.sent_ns[seq] = time.perf_counter_ns()
        return done

    def record(self, member: int, seq: int, now_ns: int) -> None:
        """Member number `member` received broadcast `seq` at `now_ns` (perf_counter_ns)."""
        self.last_delivery = time.monotonic()
        if seq >= BURST_BASE:
            self.burst_received += 1
            return
        self.counts[seq] = count = self.counts.get(seq, 0) + 1
        if self.measuring:
            latency = now_ns - self.sent_ns[seq]
            self.latencies_ns.append(latency)
            self.member_latencies[member].append(latency)
            self.member_ranks[member].append(count)
        if count == self.members:
            self.done[seq].set()

    def on_message(self, ws: leanws.LeanWebSocket, data: bytes) -> None:
        """`leanws` callback: record a frame that carries a sequence number, ignore others."""
        now = time.perf_counter_ns()
        found = SEQ.search(data)
        if found is not None:
            self.record(ws.index, int(found.group(1)), now)

    async def read(self, ws: Any, member: int) -> None:
        """Record every frame of `websockets` connection `ws` until it closes."""
        from websockets.exceptions import ConnectionClosed

        clock = time.perf_counter_ns
        try:
            async for frame in ws:
                now = clock()
                self.record(member, json.loads(frame)["payload"]["seq"], now)
        except ConnectionClosed as exc:
            self.closes.append(f"{exc.rcvd.code if exc.rcvd else 'none'}")
