"""What the application itself costs per fan-out delivery, without a server: chanx vs a hand loop.

Drives `bench/apps/chanx_fanout.py` and `bench/apps/raw_fanout.py` through ASGI directly, in
one event loop and no sockets: `--members` connections join the room, the first one shouts
`--broadcasts` times (closed loop: the next shout once every member has the previous one), and
each `send()` counts a delivery. Reported: CPU µs per delivery, and how evenly the members are
served (each delivery's position within its broadcast, averaged per member: a fair server
gives every member about the same average; a fixed order gives the first member 0 and the last
`members - 1`).

    .venv/bin/python bench/fanout_cost.py [--members N] [--profile] [--memory]

`--memory` reports tracemalloc's bytes per idle connection (and the top allocation sites).
`bench/fanout_instructions.py` runs this under valgrind for instruction counts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import pstats
import statistics
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
SCOPE: dict[str, Any] = {
    "type": "websocket",
    "path": "/ws",
    "raw_path": b"/ws",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1")],
    "subprotocols": [],
    "root_path": "",
    "scheme": "ws",
    "server": ("127.0.0.1", 80),
    "client": ("127.0.0.1", 1),
    "asgi": {"version": "3.0"},
    "extensions": {},
}


def load(name: str) -> App:
    if name == "chanx":
        from chanx_fanout import app as chanx_app

        return chanx_app  # type: ignore[no-any-return]
    from raw_fanout import app as raw_app

    return raw_app  # type: ignore[no-any-return]


class Room:
    """The members' fake sockets: deliveries per broadcast and each member's positions."""

    def __init__(self, members: int) -> None:
        self.members = members
        self.delivered = 0
        self.in_broadcast = 0
        self.positions = [0] * members
        self.progress = asyncio.Event()
        self.leave = asyncio.Event()
        self.joined = 0
        self.all_joined = asyncio.Event()

    def member(self, index: int, sender: bool, broadcasts: int) -> tuple[Any, Any]:
        frames = [
            {
                "type": "websocket.receive",
                "text": json.dumps(
                    {"action": "shout", "payload": {"seq": seq, "text": "hello room"}}
                ),
            }
            for seq in range(broadcasts if sender else 0)
        ]
        connected = False

        async def receive() -> dict[str, Any]:
            nonlocal connected
            await asyncio.sleep(0)  # as a server's receive: one loop turn per message
            if not connected:
                connected = True
                return {"type": "websocket.connect"}
            if sender and frames:
                await self.all_joined.wait()
                while self.in_broadcast:  # closed loop: the previous shout reached everyone
                    self.progress.clear()
                    await self.progress.wait()
                self.in_broadcast = self.members
                return frames.pop(0)
            await self.leave.wait()
            return {"type": "websocket.disconnect", "code": 1000}

        async def send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "websocket.accept":
                self.joined += 1
                if self.joined == self.members:
                    self.all_joined.set()
            elif kind == "websocket.send":
                self.positions[index] += self.members - self.in_broadcast
                self.delivered += 1
                self.in_broadcast -= 1
                if not self.in_broadcast:
                    self.progress.set()

        return receive, send


async def run(app: App, members: int, broadcasts: int) -> dict[str, Any]:
    """Serve `members` connections and `broadcasts` shouts; CPU per delivery and fairness."""
    room = Room(members)
    tasks = []
    for index in range(members):
        receive, send = room.member(index, index == 0, broadcasts)
        tasks.append(asyncio.ensure_future(app(dict(SCOPE), receive, send)))
    await room.all_joined.wait()
    start = time.process_time()
    while room.delivered < members * broadcasts:
        room.progress.clear()
        await room.progress.wait()
    cpu = time.process_time() - start
    room.leave.set()
    await asyncio.gather(*tasks)
    means = [p / broadcasts for p in room.positions]
    return {
        "members": members,
        "broadcasts": broadcasts,
        "cpu_us_per_delivery": cpu / (members * broadcasts) * 1e6,
        "position_first_member": means[0],
        "position_last_member": means[-1],
        "position_spread_stdev": statistics.pstdev(means),
    }


async def idle_bytes(app: App, members: int) -> tuple[float, list[str]]:
    """tracemalloc bytes per idle connection, and the top allocation sites."""
    room = Room(members)
    gc.collect()
    tracemalloc.start(8)
    before = tracemalloc.take_snapshot()
    tasks = []
    for index in range(members):
        receive, send = room.member(index, False, 0)
        tasks.append(asyncio.ensure_future(app(dict(SCOPE), receive, send)))
    await room.all_joined.wait()
    for _ in range(5):
        await asyncio.sleep(0)
    gc.collect()
    after = tracemalloc.take_snapshot()
    diff = after.compare_to(before, "lineno")
    total = sum(stat.size_diff for stat in diff)
    top = [f"{stat.size_diff / members:8.1f} B  {stat.traceback[0]}" for stat in diff[:15]]
    tracemalloc.stop()
    room.leave.set()
    await asyncio.gather(*tasks)
    return total / members, top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--only", choices=("chanx", "raw"))
    parser.add_argument("--profile", action="store_true", help="profile chanx's fan-out")
    parser.add_argument("--memory", action="store_true", help="tracemalloc per idle connection")
    args = parser.parse_args()
    for name in [n for n in ("chanx", "raw") if args.only in (None, n)]:
        app = load(name)
        if args.memory:
            per, top = asyncio.run(idle_bytes(app, args.members))
            print(f"{name}: {per / 1024:.2f} KiB per idle connection (tracemalloc)")
            print("\n".join(top))
            continue
        print(name, json.dumps(asyncio.run(run(app, args.members, args.broadcasts))))
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(asyncio.run, run(load("chanx"), args.members, args.broadcasts))
        pstats.Stats(profile).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
