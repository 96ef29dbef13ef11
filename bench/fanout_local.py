"""Group fan-out in one server process: chanx vs chanx-baseline vs a hand-written Starlette loop.

Each server (uvicorn `--ws websockets-sansio`, one worker, in-memory layer for chanx) runs in
turn on a free loopback port. A separate load-client process (this script with `--client`)
opens `--members` connections, all in the group; the first one is also the sender. Then:

- closed loop: the sender sends one `shout`, waits until every member has it, and repeats
  (`--broadcasts` times after `--warmup`). Reported: server CPU time (psutil, user + system)
  per delivery over the window, p50/p99 delivery latency (send to receipt, every delivery).
- open-loop burst: the sender sends `--burst` shouts back to back without waiting; deliveries
  are counted until all arrived or none came for `--stall` seconds. Reported: lost deliveries.

Rounds alternate the server order (A B C, C B A, ...) and the summary takes medians.
`chanx-baseline` runs the same app with `$CHANX_BENCH_BASELINE` (an earlier checkout, e.g. a
`git worktree`) first on `PYTHONPATH`; it is skipped when the variable is unset.

    CHANX_BENCH_BASELINE=/work/wt-base .venv/bin/python bench/fanout_local.py --json FILE
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import report
import servers
from tally import BURST_BASE, Tally, shout

REPO = Path(__file__).resolve().parent.parent
BASELINE = servers.BASELINE
SPECS = servers.FANOUT_SERVERS  # chanx, chanx-baseline, raw, upstream, and chanx on Django


def _cpu(process: Any) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def _pct_ms(sorted_ns: list[int], fraction: float) -> float:
    index = min(len(sorted_ns) - 1, round(fraction * (len(sorted_ns) - 1)))
    return sorted_ns[index] / 1e6


async def client(args: argparse.Namespace) -> dict[str, Any]:
    """Open the members, run the closed loop and then the burst; return the figures."""
    import psutil
    from websockets.asyncio.client import connect

    server = psutil.Process(args.server_pid)
    tally = Tally(args.members)
    sockets: list[Any] = []
    async with asyncio.timeout(60 + args.members / 20):  # compression=None: measure servers
        for first in range(0, args.members, 250):  # in batches: the server's listen backlog
            opening = (connect(args.url, compression=None, open_timeout=60)
                       for _ in range(first, min(args.members, first + 250)))  # fmt: skip
            sockets.extend(await asyncio.gather(*opening))
    readers = [asyncio.create_task(tally.read(ws, i)) for i, ws in enumerate(sockets)]
    sender = sockets[0]
    await asyncio.sleep(0.5 + args.members / 4000)  # every connection finishes joining
    result: dict[str, Any] = {"members": args.members, "timeouts": 0}
    try:
        seq, measured_from, cpu0, started = 0, 0, 0.0, 0.0
        for index in range(args.warmup + args.broadcasts):
            if index == args.warmup:
                tally.measuring = True
                measured_from, cpu0, started = seq, _cpu(server), time.perf_counter()
            done = tally.expect(seq)
            await sender.send(shout(seq))
            try:
                await asyncio.wait_for(done.wait(), args.stall)
            except TimeoutError:
                result["timeouts"] += 1
            seq += 1
        cpu = _cpu(server) - cpu0
        elapsed = time.perf_counter() - started
        deliveries = sum(tally.counts.get(s, 0) for s in range(measured_from, seq))
        latencies = sorted(tally.latencies_ns)
        means = [sum(lat) / len(lat) / 1e6 for lat in tally.member_latencies if lat]
        result.update(
            broadcasts=args.broadcasts,
            deliveries=deliveries,
            closed_lost=args.broadcasts * args.members - deliveries,
            deliveries_per_s=deliveries / elapsed,
            server_cpu_us_per_delivery=cpu / max(deliveries, 1) * 1e6,
            p50_ms=_pct_ms(latencies, 0.5) if latencies else None,
            p99_ms=_pct_ms(latencies, 0.99) if latencies else None,
            # per-member mean latency: a fixed order serves the first member first every time
            member_mean_min_ms=min(means) if means else None,
            member_mean_max_ms=max(means) if means else None,
            member_spread_ms=(max(means) - min(means)) if means else None,
            member_mean_stdev_ms=statistics.pstdev(means) if means else None,
            first_member_mean_ms=means[0] if means else None,
            last_member_mean_ms=means[-1] if means else None,
        )

        await asyncio.sleep(0.2)
        cpu0, started = _cpu(server), time.monotonic()
        for index in range(args.burst):
            await sender.send(shout(BURST_BASE + index))
        send_s = time.monotonic() - started
        expected = args.burst * args.members
        seen, quiet_since = -1, time.monotonic()
        while tally.burst_received < expected and time.monotonic() - started < args.burst_cap:
            if tally.burst_received != seen:
                seen, quiet_since = tally.burst_received, time.monotonic()
            elif time.monotonic() - quiet_since > args.stall:
                break
            await asyncio.sleep(0.02)
        received = tally.burst_received
        result.update(
            burst=args.burst,
            burst_expected=expected,
            burst_received=received,
            burst_lost=expected - received,
            burst_send_s=send_s,
            burst_s=max(tally.last_delivery - started, 1e-9),
            burst_server_cpu_us_per_delivery=(_cpu(server) - cpu0) / max(received, 1) * 1e6,
        )
    finally:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    result["closes_before_end"] = sorted(set(tally.closes))
    return result


def run_one(args: argparse.Namespace, name: str, round_no: int) -> dict[str, Any]:
    """Start one server, drive it with a client process, stop it; return the figures."""
    with servers.running(SPECS[name], args.loop) as server:
        command = [sys.executable, __file__, "--client", "--url", server.url,
                   "--server-pid", str(server.pid), *args.client_args]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=600 + args.members / 10)  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{name}: load client failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(server=name, round=round_no)
    print(f"bench: round {round_no} {name:<15} closed {result['server_cpu_us_per_delivery']:.2f}"
          f" µs/delivery p50 {result['p50_ms']:.2f} ms p99 {result['p99_ms']:.2f} ms "
          f"member spread {result['member_spread_ms']:.2f} ms; "
          f"burst lost {result['burst_lost']:,}", file=sys.stderr, flush=True)  # fmt: skip
    return result


def chanx_origin(name: str) -> str:
    """Which chanx the server `name` imports (checked in the environment it runs with)."""
    code = "import chanx_fanout, chanx; print(chanx.__file__)"
    env = servers._server_env(SPECS[name].env)
    done = subprocess.run([sys.executable, "-c", code], cwd=servers.APPS_DIR, env=env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    return done.stdout.strip()


FIELDS = ("server_cpu_us_per_delivery", "p50_ms", "p99_ms", "deliveries_per_s",
          "burst_lost", "burst_server_cpu_us_per_delivery", "burst_s", "member_spread_ms",
          "member_mean_stdev_ms", "first_member_mean_ms", "last_member_mean_ms")  # fmt: skip


def summarise(runs: list[dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    """Medians per server, plus every close code a member saw in any of its runs."""
    summary: dict[str, dict[str, Any]] = {}
    for name in names:
        mine = [r for r in runs if r["server"] == name]
        if mine:
            summary[name] = {f: statistics.median(r[f] for r in mine) for f in FIELDS}
            summary[name]["closes"] = sorted({c for r in mine for c in r["closes_before_end"]})
    return summary


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else ("1.00" if not a else "∞")


def markdown(summary: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    """The per-server table and the chanx / other ratios (burst CPU only if nobody was closed)."""
    lines = [
        f"| server | CPU µs/delivery (closed) | p50 ms | p99 ms | deliveries/s (closed) | "
        f"burst lost of {args.burst * args.members:,} | CPU µs/delivery (burst) | burst s | "
        "closed by server | member spread ms (first / last member) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, s in summary.items():
        lines.append(
            f"| {name} | {s['server_cpu_us_per_delivery']:.2f} | {s['p50_ms']:.2f} | "
            f"{s['p99_ms']:.2f} | {s['deliveries_per_s']:,.0f} | {s['burst_lost']:,.0f} | "
            f"{s['burst_server_cpu_us_per_delivery']:.2f} | {s['burst_s']:.2f} | "
            f"{', '.join(s['closes']) or 'none'} | {s['member_spread_ms']:.2f} "
            f"({s['first_member_mean_ms']:.2f} / {s['last_member_mean_ms']:.2f}) |"
        )
    if "chanx" in summary:
        lines += ["", "| ratio | CPU/delivery (closed) | p50 | CPU/delivery (burst) | burst lost |",
                  "|---|---:|---:|---:|---:|"]  # fmt: skip
        c = summary["chanx"]
        for other in (n for n in ("raw", "chanx-baseline") if n in summary):
            o = summary[other]
            cells = [ratio(c[f], o[f]) for f in ("server_cpu_us_per_delivery", "p50_ms")]
            burst = (x["burst_server_cpu_us_per_delivery"] for x in (c, o))
            cells.append("n/a" if c["closes"] or o["closes"] else ratio(*burst))
            cells.append(f"{c['burst_lost']:,.0f} vs {o['burst_lost']:,.0f}")
            lines.append(f"| chanx / {other} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--servers", default="chanx,chanx-baseline,raw")
    parser.add_argument("--members", type=int, default=100, help="connections, sender included")
    parser.add_argument("--warmup", type=int, default=30, help="closed-loop broadcasts unmeasured")
    parser.add_argument("--broadcasts", type=int, default=300, help="closed-loop, measured")
    parser.add_argument("--burst", type=int, default=500, help="open-loop broadcasts")
    parser.add_argument("--stall", type=float, default=5.0, help="seconds without a delivery")
    parser.add_argument("--burst-cap", type=float, default=60.0, help="seconds, burst at most")
    parser.add_argument("--rounds", type=int, default=2, help="every other round is reversed")
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    parser.add_argument("--json", type=Path, help="also write every run and the summary here")
    args = parser.parse_args()
    if not 1 <= args.members <= 10_000 or not 1 <= args.burst <= 10_000 or args.rounds > 20:
        raise SystemExit("bounds: 1-10000 members, 1-10000 burst, at most 20 rounds")
    import resource  # the client and the servers (which inherit it) hold a socket per member

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, args.members + 1000)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if args.client:
        if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"{args.url} is not on the loopback interface; refusing")
        try:
            import uvloop
        except ImportError:
            result = asyncio.run(client(args))
        else:
            result = uvloop.run(client(args))
        print(json.dumps(result))
        return 0

    names = [n for n in args.servers.split(",") if n]
    if "chanx-baseline" in names and not BASELINE:
        print("bench: CHANX_BENCH_BASELINE unset; chanx-baseline skipped", file=sys.stderr)
        names.remove("chanx-baseline")
    keys = ("members", "warmup", "broadcasts", "burst", "stall", "burst_cap")
    args.client_args = [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in keys]
    origins = {name: chanx_origin(name) for name in names if name.startswith("chanx")}
    runs = []
    for round_no in range(1, args.rounds + 1):
        for name in names if round_no % 2 else reversed(names):
            runs.append(run_one(args, name, round_no))
            time.sleep(1.0)
    summary = summarise(runs, names)
    env = report.environment(REPO, None)
    env["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    env["chanx imported from"] = origins
    if BASELINE:
        env["baseline commit"] = subprocess.run(
            ["git", "-C", BASELINE, "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=False).stdout.strip()  # fmt: skip
    command = shlex.join([".venv/bin/python", "bench/fanout_local.py", *sys.argv[1:]])
    print(f"Date: {env['date']}\nCommand: `{command}`\n"
          f"Versions: {', '.join(f'{k} {v}' for k, v in env['versions'].items())}"
          + (f", baseline {env['baseline commit']}" if BASELINE else "")
          + f"\nMachine: nproc {env['machine']['nproc']}, {env['machine']['cpu']}\n")  # fmt: skip
    print(markdown(summary, args))
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k not in ("client", "url", "server_pid")}
        payload = {"command": command, "environment": env, "settings": settings,
                   "runs": runs, "summary": summary}  # fmt: skip
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
