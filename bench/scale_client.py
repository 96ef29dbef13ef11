"""The load-client process of `bench/scale.py`: idle connections and group fan-out.

Runs in its own process (so its CPU time is not charged to the server), holds every
connection with `leanws`, reads the server's RSS and CPU time from `/proc/<pid>`, and prints
one JSON object on stdout. Started by the `idle` and `fanout` sections, not by hand:

    python bench/scale_client.py idle --url ws://127.0.0.1:PORT/ws --server-pid PID --sizes 5000
    python bench/scale_client.py fanout --url ... --server-pid PID --members 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
from typing import Any

import leanws
from tally import BURST_BASE, Tally, shout

TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """The resident set size of process `pid` in KiB (`VmRSS` of /proc/PID/status)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def settled_rss_kib(pid: int, limit: float) -> int:
    """RSS once three readings 0.5 s apart agree within 256 KiB (or after `limit` seconds)."""
    readings = [rss_kib(pid)]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        readings.append(rss_kib(pid))
        last = readings[-3:]
        if len(last) == 3 and max(last) - min(last) < 256:
            break
    return readings[-1]


def server_closes(sockets: list[leanws.LeanWebSocket]) -> list[int]:
    return [ws.close_code for ws in sockets if ws.close_code != leanws.NO_CLOSE]


async def idle(args: argparse.Namespace) -> dict[str, Any]:
    """RSS before any connection, then with each of `--sizes` connections open and settled."""
    before = await settled_rss_kib(args.server_pid, args.settle)
    sockets: list[leanws.LeanWebSocket] = []
    steps = []
    codes: set[int] = set()
    try:
        for size in sorted(args.sizes):
            started = time.monotonic()
            more = await leanws.open_many(
                args.url,
                size - len(sockets),
                lambda ws, data: None,
                first_index=len(sockets),
                timeout=args.open_cap,
            )
            sockets += more
            open_s = time.monotonic() - started
            rss = await settled_rss_kib(args.server_pid, args.settle)
            closes = server_closes(sockets)
            codes.update(closes)
            steps.append(
                {
                    "size": size,
                    "opened": len(sockets),
                    "open_s": open_s,
                    "rss_kib": rss,
                    "closed_by_server": len(closes),
                }
            )
            if len(sockets) < size:
                break  # the server is too slow to accept this many within --open-cap
    finally:
        await leanws.close_all(sockets)
    return {"rss_before_kib": before, "steps": steps, "close_codes": sorted(codes)}


def percentile_ms(ordered: list[int], fraction: float) -> float | None:
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] / 1e6


def fairness(tally: Tally, broadcasts: int) -> dict[str, float | None]:
    """Spread of the members' median latencies, and who is always among the last tenth."""
    medians = [statistics.median(lat) for lat in tally.member_latencies if lat]
    if not medians or broadcasts == 0:
        return {"member_spread": None, "always_last_pct": None}
    last_tenth = tally.members - tally.members // 10
    always = sum(
        1
        for ranks in tally.member_ranks
        if len(ranks) == broadcasts and all(rank > last_tenth for rank in ranks)
    )
    return {
        "member_spread": max(medians) / statistics.median(medians),
        "always_last_pct": 100.0 * always / tally.members,
    }


async def closed_loop(
    args: argparse.Namespace, tally: Tally, sender: leanws.LeanWebSocket
) -> dict[str, Any]:
    """Send one broadcast, wait for every member (or `--stall`), repeat; bounded by `--cap`."""
    pid = args.server_pid
    started = time.monotonic()
    measured = cpu0 = own0 = 0.0
    first_measured = args.warmup
    sent = timeouts = 0
    for seq in range(args.warmup + args.broadcasts):
        if seq == args.warmup:
            tally.measuring = True
            measured, cpu0, own0 = time.monotonic(), cpu_s(pid), own_cpu_s()
        left = args.cap - (time.monotonic() - started)
        if left <= 0:
            break
        done = tally.expect(seq)
        sender.send_text(shout(seq))
        sent = seq + 1
        try:
            async with asyncio.timeout(min(args.stall, left)):
                await done.wait()
        except TimeoutError:
            timeouts += 1
    tally.measuring = False
    broadcasts = max(sent - first_measured, 0)
    deliveries = sum(tally.counts.get(s, 0) for s in range(first_measured, sent))
    cpu = cpu_s(pid) - cpu0 if broadcasts else 0.0
    own = own_cpu_s() - own0 if broadcasts else 0.0
    ordered = sorted(tally.latencies_ns)
    return {
        "broadcasts": broadcasts,
        "deliveries": deliveries,
        "lost": broadcasts * tally.members - deliveries,
        "timeouts": timeouts,
        "seconds": time.monotonic() - measured if broadcasts else 0.0,
        "cpu_us_per_delivery": cpu / deliveries * 1e6 if deliveries else None,
        "client_cpu_us_per_delivery": own / deliveries * 1e6 if deliveries else None,
        "p50_ms": percentile_ms(ordered, 0.5),
        "p99_ms": percentile_ms(ordered, 0.99),
        **fairness(tally, broadcasts),
    }


async def burst(
    args: argparse.Namespace, tally: Tally, sender: leanws.LeanWebSocket
) -> dict[str, Any]:
    """Send `--burst` broadcasts back to back; count deliveries until all, a stall, or `--cap`."""
    cpu0, started = cpu_s(args.server_pid), time.monotonic()
    for index in range(args.burst):
        sender.send_text(shout(BURST_BASE + index))
    expected = args.burst * tally.members
    seen, quiet_since = -1, time.monotonic()
    while tally.burst_received < expected and time.monotonic() - started < args.cap:
        if tally.burst_received != seen:
            seen, quiet_since = tally.burst_received, time.monotonic()
        elif time.monotonic() - quiet_since > args.stall:
            break
        await asyncio.sleep(0.05)
    received = tally.burst_received
    cpu = cpu_s(args.server_pid) - cpu0
    return {
        "expected": expected,
        "received": received,
        "lost": expected - received,
        "seconds": max(tally.last_delivery - started, 0.0),
        "cpu_us_per_delivery": cpu / received * 1e6 if received else None,
    }


async def fanout(args: argparse.Namespace) -> dict[str, Any]:
    """Open the members (all in the room; the first one sends), closed loop, then burst."""
    tally = Tally(args.members)
    sockets = await leanws.open_many(args.url, args.members, tally.on_message, timeout=args.cap)
    if len(sockets) < args.members:
        await leanws.close_all(sockets)
        raise SystemExit(f"only {len(sockets):,} of {args.members:,} members open in {args.cap} s")
    try:
        await asyncio.sleep(args.join_wait)  # let every connection finish joining the group
        result: dict[str, Any] = {"members": args.members}
        result["closed"] = await closed_loop(args, tally, sockets[0])
        await asyncio.sleep(0.5)
        result["burst"] = await burst(args, tally, sockets[0]) if args.burst else None
        closes = server_closes(sockets)
        result["closed_by_server"] = len(closes)
        result["close_codes"] = sorted(set(closes))
    finally:
        await leanws.close_all(sockets)
    return result


def raise_open_files(wanted: int) -> None:
    """Raise the soft open-file limit towards `wanted` (never above the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("idle", "fanout"))
    parser.add_argument("--url", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[5000])
    parser.add_argument("--settle", type=float, default=10.0, help="seconds, RSS settle at most")
    parser.add_argument("--open-cap", type=float, default=120.0, help="seconds to open at most")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--broadcasts", type=int, default=20)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--stall", type=float, default=5.0)
    parser.add_argument("--cap", type=float, default=60.0)
    parser.add_argument("--join-wait", type=float, default=1.0)
    args = parser.parse_args()
    largest = max(args.sizes) if args.mode == "idle" else args.members
    if not 1 <= largest <= 15_000:
        raise SystemExit("bounds: 1 to 15,000 connections")
    raise_open_files(largest + 200)
    run = idle if args.mode == "idle" else fanout
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args))
    else:
        result = uvloop.run(run(args))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
