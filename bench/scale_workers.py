"""Several workers on the Redis layer: group fan-out with one worker vs two, side by side.

Each case starts one server on the loopback (`servers.running_workers`): ``uvicorn --workers
N --ws websockets-sansio`` serving `apps/workers_room.py`, or N daphne processes adopting one
listening socket serving the Django twin `apps/workers_django.py`, all on chanx's Redis layer
(a fresh prefix per case). A separate load-client process (this script, ``--workers-client``)
opens `--workers-members` connections, a batch at a time, so the kernel spreads them over the
workers as it does in production; every one joins the room, the first is also the sender.

- closed loop: one ``shout``, wait until every member has it, repeat. Server CPU (user +
  system, summed over the worker processes) per delivery; p50/p99 delivery latency.
- burst: `--workers-burst` shouts back to back. Deliveries per second (all deliveries / time
  from the first send to the last delivery), CPU per delivery of the workers, of Redis and of
  the client, and deliveries lost.

The machine has 2 cores and the client needs CPU too: throughput with two workers is bounded
by the cores the client and Redis leave free, so every row also reports CPU per delivery
(server, Redis, client) and the machine's idle share; `--workers-client-cpu` pins the client
to one CPU. Cases alternate (1 2 2 1 ...) and rows are medians over `--workers-rounds`.

    .venv/bin/python bench/scale_workers.py --json bench/results/scale-workers.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import servers  # noqa: E402
from tally import BURST_BASE, Tally, shout  # noqa: E402

APPS = {"uvicorn": "workers_room:app", "daphne": "workers_django:application"}
METRICS = {
    "deliveries_per_s": "burst deliveries/s",
    "server_cpu_us_per_delivery": "server CPU µs/delivery (burst, all workers)",
    "closed_cpu_us_per_delivery": "server CPU µs/delivery (closed loop)",
    "redis_cpu_us_per_delivery": "Redis CPU µs/delivery (burst)",
    "client_cpu_us_per_delivery": "client CPU µs/delivery (burst)",
    "p50_ms": "p50 delivery ms",
    "p99_ms": "p99 delivery ms",
    "lost": "deliveries lost",
    "idle_pct": "machine idle % (burst)",
    "least_loaded_share": "members on the least-loaded worker (share)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--workers-...`` options of this section."""
    group = parser.add_argument_group("several workers (Redis layer)")
    group.add_argument("--workers-servers", default="uvicorn,daphne")
    group.add_argument("--workers-counts", default="1,2", help="worker counts to compare")
    group.add_argument("--workers-members", type=int, default=1000)
    group.add_argument("--workers-warmup", type=int, default=10)
    group.add_argument("--workers-broadcasts", type=int, default=60, help="closed loop")
    group.add_argument("--workers-burst", type=int, default=100, help="open-loop broadcasts")
    group.add_argument("--workers-rounds", type=int, default=2)
    group.add_argument("--workers-stall", type=float, default=5.0)
    group.add_argument("--workers-redis-url", default="redis://127.0.0.1:6379/0")
    group.add_argument("--workers-client-cpu", type=int, help="pin the load client to this CPU")
    group.add_argument("--workers-profile", help="cProfile every worker into this directory")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run every case and return the section: title, metric units, median rows, notes."""
    section, _ = measure_runs(args)
    return section


def measure_runs(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`measure`, and every single run behind its medians."""
    kinds = args.workers_servers.split(",")
    counts = [int(c) for c in args.workers_counts.split(",")]
    runs: list[dict[str, Any]] = []
    for round_no in range(args.workers_rounds):
        order = counts if round_no % 2 == 0 else counts[::-1]
        for kind in kinds:
            for workers in order:
                runs.append(run_case(args, kind, workers, round_no))
    rows = []
    for kind in kinds:
        for workers in counts:
            mine = [r for r in runs if r["kind"] == kind and r["workers"] == workers]
            row: dict[str, Any] = {
                "workload": f"fan-out to {args.workers_members} members, Redis layer",
                "server": f"{kind} x{workers}",
            }
            for key in METRICS:
                values = [r[key] for r in mine if r.get(key) is not None]
                row[key] = round(statistics.median(values), 3) if values else None
            rows.append(row)
    section = {
        "title": "Several workers on the Redis layer: fan-out, one worker vs two",
        "metrics": dict(METRICS),
        "rows": rows,
        "notes": notes(args, rows),
    }
    return section, runs


def notes(args: argparse.Namespace, rows: list[dict[str, Any]]) -> list[str]:
    """Ratios of each server's largest worker count to one worker, and how CPU was shared."""
    pinned = args.workers_client_cpu
    lines = [
        f"{os.cpu_count()} CPUs shared by the workers, Redis and the load client; "
        + ("nothing pinned; " if pinned is None else f"client pinned to CPU {pinned}; ")
        + "CPU per delivery is summed over the worker processes (psutil user + system).",
    ]
    by_server = {row["server"]: row for row in rows}
    counts = [int(c) for c in args.workers_counts.split(",")]
    for kind in args.workers_servers.split(","):
        one, most = by_server.get(f"{kind} x1"), by_server.get(f"{kind} x{max(counts)}")
        if one is None or most is None or one is most:
            continue
        parts = []
        for key in ("deliveries_per_s", "server_cpu_us_per_delivery", "p50_ms", "p99_ms"):
            if one[key] and most[key] is not None:
                parts.append(f"{METRICS[key]} x{most[key] / one[key]:.2f}")
        lines.append(f"{kind}: {max(counts)} workers / 1 worker: " + ", ".join(parts))
    return lines


def run_case(args: argparse.Namespace, kind: str, workers: int, round_no: int) -> dict[str, Any]:
    """One server of `workers` processes driven by one load-client process."""
    env = {"BENCH_REDIS_URL": args.workers_redis_url,
           "BENCH_PREFIX": f"bench-workers-{uuid.uuid4().hex[:8]}"}  # fmt: skip
    if args.workers_profile:
        Path(args.workers_profile).mkdir(parents=True, exist_ok=True)
        env["BENCH_PROFILE"] = str(Path(args.workers_profile).resolve())
    with servers.running_workers(kind, APPS[kind], workers, env) as server:
        command = [sys.executable, __file__, "--workers-client", "--url", server.url,
                   "--pids", ",".join(map(str, server.pids)),
                   "--redis-url", args.workers_redis_url,
                   "--members", str(args.workers_members),
                   "--warmup", str(args.workers_warmup),
                   "--broadcasts", str(args.workers_broadcasts),
                   "--burst", str(args.workers_burst),
                   "--stall", str(args.workers_stall)]  # fmt: skip
        client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)  # fmt: skip
        if args.workers_client_cpu is not None:
            os.sched_setaffinity(client.pid, {args.workers_client_cpu})
        try:
            out, err = client.communicate(timeout=600)
        finally:
            if client.poll() is None:
                client.kill()
                client.wait()
    if client.returncode != 0:
        raise RuntimeError(f"{kind} x{workers}: load client failed:\n{err[-3000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result.update(kind=kind, workers=workers, round=round_no)
    print(f"bench: round {round_no} {kind} x{workers}: {result['deliveries_per_s']:,.0f} "
          f"deliveries/s, {result['server_cpu_us_per_delivery']:.1f} µs/delivery, p50 "
          f"{result['p50_ms']:.1f} ms p99 {result['p99_ms']:.1f} ms, lost {result['lost']}, "
          f"spread {result['spread']}", file=sys.stderr, flush=True)  # fmt: skip
    return result


# -- the load client (its own process) --------------------------------------------------------


def _cpu(processes: list[Any]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(Exception):  # a process that cannot be read counts 0
            times = process.cpu_times()
            total += times.user + times.system
    return total


def _redis_process(url: str) -> list[Any]:
    """The local redis-server listening on `url`'s port, if this user may read it."""
    import psutil

    port = urlsplit(url).port or 6379
    for process in psutil.process_iter(["name"]):
        if "redis" not in (process.info["name"] or ""):
            continue
        with contextlib.suppress(psutil.Error):
            for conn in process.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port:
                    return [process]
    return []


def _pct_ms(sorted_ns: list[int], fraction: float) -> float:
    index = min(len(sorted_ns) - 1, round(fraction * (len(sorted_ns) - 1)))
    return sorted_ns[index] / 1e6


def _spread(pids: list[int], port: int) -> list[int]:
    """How many client connections each worker holds (from its socket table)."""
    import psutil

    return [
        sum(1 for c in psutil.Process(pid).net_connections(kind="tcp")
            if c.raddr and c.laddr.port == port)
        for pid in pids
    ]  # fmt: skip


async def _probe(tally: Tally, sender: Any, seq: int, stall: float) -> int:
    """Shout until one shout reaches every member (all joined the room); the next seq."""
    for _ in range(30):
        done = tally.expect(seq)
        await sender.send(shout(seq))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), stall)
            return seq + 1
        seq += 1
    raise RuntimeError("the members never all joined the room")


async def client(options: argparse.Namespace) -> dict[str, Any]:
    """Open the members, wait until all are in the room, run the closed loop, then the burst."""
    import psutil
    from websockets.asyncio.client import connect

    workers = [psutil.Process(int(pid)) for pid in options.pids.split(",")]
    redis = _redis_process(options.redis_url)
    me = psutil.Process()
    tally = Tally(options.members)
    sockets: list[Any] = []
    async with asyncio.timeout(120):  # batches at once, as clients arrive in production
        while len(sockets) < options.members:
            batch = min(100, options.members - len(sockets))
            opening = (connect(options.url, compression=None, max_queue=None) for _ in range(batch))
            sockets += await asyncio.gather(*opening)
    readers = [asyncio.create_task(tally.read(ws, member)) for member, ws in enumerate(sockets)]
    port = urlsplit(options.url).port or 80
    result: dict[str, Any] = {"spread": _spread([w.pid for w in workers], port)}
    result["least_loaded_share"] = min(result["spread"]) / max(sum(result["spread"]), 1)
    sender = sockets[0]
    try:
        seq = await _probe(tally, sender, 0, options.stall)
        measured_from = seq + options.warmup
        cpu0 = 0.0
        for _ in range(options.warmup + options.broadcasts):
            if seq == measured_from:
                tally.measuring = True
                cpu0 = _cpu(workers)
            done = tally.expect(seq)
            await sender.send(shout(seq))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), options.stall)
            seq += 1
        closed = sum(tally.counts.get(s, 0) for s in range(measured_from, seq))
        latencies = sorted(tally.latencies_ns)
        result.update(
            closed_cpu_us_per_delivery=(_cpu(workers) - cpu0) / max(closed, 1) * 1e6,
            p50_ms=_pct_ms(latencies, 0.5),
            p99_ms=_pct_ms(latencies, 0.99),
        )
        closed_lost = options.broadcasts * options.members - closed

        await asyncio.sleep(0.2)
        cpu = [_cpu(workers), _cpu(redis), _cpu([me])]
        idle0 = psutil.cpu_times().idle
        started = time.monotonic()
        for index in range(options.burst):
            await sender.send(shout(BURST_BASE + index))
        expected = options.burst * options.members
        seen, quiet_since = -1, time.monotonic()
        while tally.burst_received < expected:
            if tally.burst_received != seen:
                seen, quiet_since = tally.burst_received, time.monotonic()
            elif time.monotonic() - quiet_since > options.stall:
                break
            await asyncio.sleep(0.02)
        received = tally.burst_received
        elapsed = max(tally.last_delivery - started, 1e-9)
        spent = [after - before for after, before in
                 zip([_cpu(workers), _cpu(redis), _cpu([me])], cpu, strict=True)]  # fmt: skip
        idle = (psutil.cpu_times().idle - idle0) / (os.cpu_count() or 1)
        per = 1e6 / max(received, 1)
        result.update(
            deliveries_per_s=received / elapsed,
            server_cpu_us_per_delivery=spent[0] * per,
            redis_cpu_us_per_delivery=spent[1] * per if redis else None,
            client_cpu_us_per_delivery=spent[2] * per,
            idle_pct=100 * idle / max(time.monotonic() - started, 1e-9),
            lost=closed_lost + expected - received,
            closes=sorted(set(tally.closes)),
        )
    finally:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return result


def _client_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers-client", action="store_true")
    for name in ("--url", "--pids", "--redis-url"):
        parser.add_argument(name, required=True)
    for name in ("--members", "--warmup", "--broadcasts", "--burst"):
        parser.add_argument(name, type=int, required=True)
    parser.add_argument("--stall", type=float, required=True)
    print(json.dumps(asyncio.run(client(parser.parse_args(argv)))), flush=True)
    return 0


def markdown(section: dict[str, Any]) -> str:
    """The rows as a table, then the notes."""
    keys = list(section["metrics"])
    lines = ["| server | " + " | ".join(section["metrics"][k] for k in keys) + " |",
             "|---|" + "---:|" * len(keys)]  # fmt: skip
    for row in section["rows"]:
        cells = ["n/a" if row[k] is None else f"{row[k]:,.2f}" for k in keys]
        lines.append(f"| {row['server']} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", *(f"- {note}" for note in section["notes"])])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--workers-client" in argv:
        return _client_main(argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    parser.add_argument("--json", help="also write the section (and every run) to this file")
    args = parser.parse_args(argv)
    section, runs = measure_runs(args)
    print(markdown(section))
    if args.json:
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        saved = {**section, "runs": runs, "when": when, "argv": argv}
        Path(args.json).write_text(json.dumps(saved, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
