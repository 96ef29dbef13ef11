"""Section `fanout` of bench/scale.py: one group of M members, one of them the sender.

For each server and each size in `--fanout-members`, the load client opens every member
(all join the room), then:

- closed loop: the sender sends one `shout` and waits until every member has it (or
  `--fanout-stall` seconds pass), `--fanout-broadcasts` times after `--fanout-warmup`.
  Server CPU (user + system, /proc/PID/stat) over the window per delivery; p50/p99 latency
  from send to receipt over every delivery; deliveries lost; fairness: the members' median
  latencies (max / median across members), and the share of members that were among the
  last tenth to receive every broadcast (a fixed delivery order puts ~10% there every time;
  a fair rotation puts nobody).
- open-loop burst: the sender sends `--fanout-burst` shouts back to back; deliveries are
  counted until all arrived, none came for `--fanout-stall` seconds, or `--fanout-cap`.

Each server's whole run is bounded by `--fanout-cap` seconds per phase: a slow server
reports what arrived in that time. Rounds alternate the server order; rows are medians.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

from scale_sections import log, run_client, server_names

METRICS = {
    "cpu_us_per_delivery": "server CPU µs per delivery (closed loop)",
    "p50_ms": "p50 delivery latency, ms",
    "p99_ms": "p99 delivery latency, ms",
    "lost": "deliveries lost (closed loop)",
    "member_spread": "slowest member's median latency / all members' median",
    "always_last_pct": "% of members among the last tenth in every broadcast",
    "burst_lost_pct": "% of burst deliveries lost",
    "burst_cpu_us_per_delivery": "server CPU µs per delivery (burst)",
    "closed_by_server": "members the server closed",
    "client_cpu_us_per_delivery": "load client CPU µs per delivery (closed loop)",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `--fanout-*` options."""
    group = parser.add_argument_group("fanout", "one group, one sender, every member receives")
    group.add_argument(
        "--fanout-servers",
        default="raw,upstream,chanx,chanx-baseline",
        help="comma-separated; chanx-baseline needs $CHANX_BENCH_BASELINE",
    )
    group.add_argument("--fanout-members", default="2000,10000", help="group sizes")
    group.add_argument("--fanout-warmup", type=int, default=3, help="broadcasts not measured")
    group.add_argument("--fanout-broadcasts", type=int, default=20, help="closed loop, measured")
    group.add_argument("--fanout-burst", type=int, default=20, help="open-loop broadcasts")
    group.add_argument(
        "--fanout-stall",
        type=float,
        default=5.0,
        help="seconds without the next delivery before giving up",
    )
    group.add_argument(
        "--fanout-cap",
        type=float,
        default=60.0,
        help="seconds per phase (closed loop, burst) at most",
    )
    group.add_argument("--fanout-rounds", type=int, default=1, help="every other one reversed")
    group.add_argument(
        "--fanout-upstream-max",
        type=int,
        default=2000,
        help="larger groups skip upstream (it accepts ~100 connections/s "
        "here; see the idle section)",
    )


def row(members: int, name: str, result: dict[str, Any]) -> dict[str, Any]:
    """One table row from a client result."""
    closed, burst = result["closed"], result["burst"]
    return {
        "workload": f"fan-out to {members:,} members",
        "server": name,
        "cpu_us_per_delivery": closed["cpu_us_per_delivery"],
        "p50_ms": closed["p50_ms"],
        "p99_ms": closed["p99_ms"],
        "lost": closed["lost"],
        "member_spread": closed["member_spread"],
        "always_last_pct": closed["always_last_pct"],
        "burst_lost_pct": 100.0 * burst["lost"] / burst["expected"] if burst else None,
        "burst_cpu_us_per_delivery": burst["cpu_us_per_delivery"] if burst else None,
        "closed_by_server": result["closed_by_server"],
        "client_cpu_us_per_delivery": closed["client_cpu_us_per_delivery"],
    }


def median_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each metric over rounds (None where any round had none)."""
    merged = dict(rows[0])
    for key in METRICS:
        values = [r[key] for r in rows]
        merged[key] = None if None in values else statistics.median(values)
    return merged


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run every (size, server) pair, `--fanout-rounds` times; one row per pair."""
    sizes = [int(size) for size in args.fanout_members.split(",")]
    if not sizes or min(sizes) < 2 or max(sizes) > 12_000 or args.fanout_rounds > 5:
        raise SystemExit("bounds: --fanout-members 2 to 12,000, --fanout-rounds at most 5")
    names = server_names(args.fanout_servers, "fanout")
    runs: dict[tuple[int, str], list[dict[str, Any]]] = {}
    notes: list[str] = []
    for members in sizes:
        options = [
            f"--members={members}",
            f"--warmup={args.fanout_warmup}",
            f"--broadcasts={args.fanout_broadcasts}",
            f"--burst={args.fanout_burst}",
            f"--stall={args.fanout_stall}",
            f"--cap={args.fanout_cap}",
        ]
        timeout = 180 + 2 * args.fanout_cap + 2 * args.fanout_stall
        for round_no in range(1, args.fanout_rounds + 1):
            for name in names if round_no % 2 else list(reversed(names)):
                if name == "upstream" and members > args.fanout_upstream_max:
                    if round_no == 1:
                        notes.append(
                            f"upstream, {members:,} members: skipped (above "
                            f"--fanout-upstream-max {args.fanout_upstream_max:,})"
                        )
                    continue
                try:
                    result = run_client(name, "fanout", options, timeout)
                except RuntimeError as exc:
                    notes.append(
                        f"{name}, {members:,} members: no result, {str(exc).splitlines()[0]}"
                    )
                    log("fanout", f"{name}: failed: {exc}")
                    continue
                runs.setdefault((members, name), []).append(row(members, name, result))
                closed = result["closed"]
                log(
                    "fanout",
                    f"{members:>6,} members {name:<15} "
                    f"{closed['cpu_us_per_delivery'] or 0:.1f} µs/delivery, "
                    f"p50 {closed['p50_ms'] or 0:.0f} ms p99 {closed['p99_ms'] or 0:.0f} ms, "
                    f"lost {closed['lost']:,}, burst lost "
                    f"{result['burst']['lost'] if result['burst'] else 0:,}",
                )
                if closed["broadcasts"] < args.fanout_broadcasts:
                    notes.append(
                        f"{name}, {members:,} members: only {closed['broadcasts']} of "
                        f"{args.fanout_broadcasts} closed-loop broadcasts within "
                        f"--fanout-cap {args.fanout_cap:.0f} s"
                    )
                if result["close_codes"]:
                    notes.append(
                        f"{name}, {members:,} members: {result['closed_by_server']:,} members "
                        f"closed by the server, codes {result['close_codes']}"
                    )
    notes.append(
        f"closed loop: {args.fanout_broadcasts} broadcasts after {args.fanout_warmup} warm-up; "
        f"burst: {args.fanout_burst} broadcasts back to back; a delivery not seen within "
        f"{args.fanout_stall:.0f} s of the previous one counts as lost; "
        f"{args.fanout_rounds} round(s), medians"
    )
    rows = [median_row(found) for found in runs.values()]
    return {
        "title": "Group fan-out in one process",
        "metrics": METRICS,
        "rows": rows,
        "notes": notes,
    }
