"""Group fan-out through Redis channel layers: chanx's vs channels_redis's two, one run.

With ``--cluster`` the run also measures chanx's layer on a local Redis Cluster (three
masters, three replicas, started for the run; sharded pub/sub). channels_redis has no
cluster support, so that row has no peer.

For each layer and each shape (100 or 1,000 members; in one process, or split across two
processes with the sender in the first), the members' receivers loop on `receive`, the sender
calls `group_send` back to back (never waiting for receivers) and the run ends when every member
has every message, or when deliveries stall for `--stall` seconds. Reported: deliveries per
second (all deliveries / time from the first send to the last delivery anywhere) and lost
deliveries. Capacity is 1,000 for every layer, above the number of broadcasts, so a loss
here is a loss "within capacity".

Prerequisites: the workspace venv with chanx-layer-redis, plus the peer:
``.venv/bin/pip install channels_redis`` (bench-only, not a dependency of anything).

    .venv/bin/python bench/fanout.py                       # Redis at 127.0.0.1:6379
    .venv/bin/python bench/fanout.py --json bench/results/fanout.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import platform
import sys
import time
import uuid
from multiprocessing.connection import Connection
from typing import Any

LAYERS = ("chanx-redis", "channels_redis-core", "channels_redis-pubsub")
CLUSTER = "chanx-redis-cluster"
MESSAGE = {"type": "chat.message", "text": "hello everyone in the room", "user": "ana"}


def make_layer(kind: str, url: str, prefix: str) -> Any:
    """Build one layer of `kind` on `url` with capacity 1,000."""
    if kind in ("chanx-redis", CLUSTER):
        from chanx_layer_redis import RedisChannelLayer

        return RedisChannelLayer(url=url, prefix=prefix, capacity=1000, cluster=kind == CLUSTER)
    if kind == "channels_redis-core":
        from channels_redis.core import RedisChannelLayer as CoreLayer

        return CoreLayer(hosts=[url], prefix=prefix, capacity=1000)
    from channels_redis.pubsub import RedisPubSubChannelLayer

    return RedisPubSubChannelLayer(hosts=[url], prefix=prefix)


async def close_layer(layer: Any) -> None:
    """Release a layer of any of the three kinds."""
    if hasattr(layer, "flush"):
        with contextlib.suppress(Exception):  # cleanup only
            await layer.flush()
    closer = getattr(layer, "close", None) or getattr(layer, "close_pools", None)
    if closer is not None:
        await closer()


class Members:
    """`count` channels in `group`, each with a receiver counting up to `expected`."""

    def __init__(self, layer: Any, group: str, count: int, expected: int) -> None:
        self.layer, self.group, self.count, self.expected = layer, group, count, expected
        self.received = 0
        self.last = 0.0
        self.tasks: list[asyncio.Task[None]] = []

    async def join(self) -> None:
        for _ in range(self.count):
            channel = await self.layer.new_channel()
            await self.layer.group_add(self.group, channel)
            self.tasks.append(asyncio.create_task(self._receive(channel)))
        await asyncio.sleep(0.2)  # let every receiver start waiting (and subscriptions settle)

    async def _receive(self, channel: str) -> None:
        for _ in range(self.expected):
            await self.layer.receive(channel)
            self.received += 1
            self.last = time.time()

    async def settle(self, stall: float) -> None:
        """Return when all deliveries are in, or when none came for `stall` seconds."""
        seen, quiet_since = -1, time.monotonic()
        while self.received < self.count * self.expected:
            if self.received != seen:
                seen, quiet_since = self.received, time.monotonic()
            elif time.monotonic() - quiet_since > stall:
                break
            await asyncio.sleep(0.05)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def remote_members(kind: str, url: str, prefix: str, group: str, count: int,
                         expected: int, stall: float, pipe: Connection) -> None:  # fmt: skip
    layer = make_layer(kind, url, prefix)
    members = Members(layer, group, count, expected)
    await members.join()
    pipe.send("ready")
    await asyncio.get_running_loop().run_in_executor(None, pipe.recv)  # "go": sending began
    await members.settle(stall)
    pipe.send((members.received, members.last))
    await close_layer(layer)


def remote_main(*args: Any) -> None:
    asyncio.run(remote_members(*args))


async def run_case(kind: str, url: str, members: int, processes: int, broadcasts: int,
                   stall: float) -> dict[str, Any]:  # fmt: skip
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    group = "room"
    local_count = members // processes
    context = multiprocessing.get_context("spawn")
    workers: list[tuple[Any, Connection]] = []
    for _ in range(processes - 1):
        ours, theirs = context.Pipe()
        args = (kind, url, prefix, group, members - local_count, broadcasts, stall, theirs)
        proc = context.Process(target=remote_main, args=args, daemon=True)
        proc.start()
        workers.append((proc, ours))
    layer = make_layer(kind, url, prefix)
    local = Members(layer, group, local_count, broadcasts)
    try:
        await local.join()
        loop = asyncio.get_running_loop()
        for _, pipe in workers:
            assert await loop.run_in_executor(None, pipe.recv) == "ready"
            pipe.send("go")
        cpu0, start = time.process_time(), time.time()
        for _ in range(broadcasts):
            await layer.group_send(group, MESSAGE)
        send_seconds = time.time() - start
        await local.settle(stall)
        cpu = time.process_time() - cpu0
        received, last = local.received, local.last
        for proc, pipe in workers:
            got, when = await loop.run_in_executor(None, pipe.recv)
            received, last = received + got, max(last, when)
            proc.join(30)
    finally:
        for proc, _ in workers:
            if proc.is_alive():
                proc.kill()
        await close_layer(layer)
    expected = members * broadcasts
    elapsed = max(last - start, 1e-9)
    return {
        "layer": kind,
        "members": members,
        "processes": processes,
        "broadcasts": broadcasts,
        "expected": expected,
        "delivered": received,
        "lost": expected - received,
        "seconds": round(elapsed, 3),
        "send_seconds": round(send_seconds, 3),
        "deliveries_per_s": round(received / elapsed),
        "sender_cpu_us_per_delivery": round(cpu / max(local.received, 1) * 1e6, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--layers", default=",".join(LAYERS))
    parser.add_argument(
        "--deliveries", type=int, default=100_000, help="broadcasts = deliveries / members"
    )
    parser.add_argument("--stall", type=float, default=3.0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds; best and median shown")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--cluster", action="store_true", help="also chanx on a local cluster")
    parser.add_argument("--processes", default="1,2", help="process counts to run")
    options = parser.parse_args()
    counts = [int(count) for count in options.processes.split(",")]
    shapes = [(m, p) for p in counts for m in (100, 1000)]
    kinds = options.layers.split(",")
    urls = dict.fromkeys(kinds, options.url)
    with contextlib.ExitStack() as stack:
        if options.cluster:
            from redis_cluster import local_cluster

            urls[CLUSTER] = stack.enter_context(local_cluster())
            kinds.append(CLUSTER)
        return run_all(options, shapes, kinds, urls)


def run_all(options: Any, shapes: list[tuple[int, int]], kinds: list[str],
            urls: dict[str, str]) -> int:  # fmt: skip
    """Run every shape and layer `options.repeat` times, interleaved; print and save."""
    runs: list[dict[str, Any]] = []
    for _ in range(options.repeat):  # rounds interleave the layers, so noise hits them alike
        for members, processes in shapes:
            for kind in kinds:
                broadcasts = min(1000, options.deliveries // members)  # never above capacity
                result = asyncio.run(
                    run_case(kind, urls[kind], members, processes, broadcasts, options.stall)
                )
                runs.append(result)
                print(json.dumps(result), flush=True)
    results = []
    for members, processes in shapes:
        for kind in kinds:
            key = (kind, members, processes)
            mine = [r for r in runs if (r["layer"], r["members"], r["processes"]) == key]
            rates = sorted(r["deliveries_per_s"] for r in mine)
            results.append(
                {
                    "layer": kind,
                    "members": members,
                    "processes": processes,
                    "best_per_s": rates[-1],
                    "median_per_s": rates[len(rates) // 2],
                    "lost_worst": max(r["lost"] for r in mine),
                    "runs": len(mine),
                }
            )
    print()
    print("| members | processes | layer | best delivered/s | median | lost (worst run) |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['members']} | {r['processes']} | {r['layer']} | {r['best_per_s']:,} | "
              f"{r['median_per_s']:,} | {r['lost_worst']} |")  # fmt: skip
    if options.json:
        meta = {"python": sys.version.split()[0], "machine": platform.machine(),
                "cpus": os.cpu_count(), "deliveries": options.deliveries,
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip
        with open(options.json, "w") as out:
            json.dump({"meta": meta, "summary": results, "runs": runs}, out, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
