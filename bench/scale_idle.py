"""Section `idle` of bench/scale.py: process RSS at start and KiB per idle connection.

For each server (the fan-out room app, one uvicorn worker, `--ws websockets-sansio`): the
load client reads the server's RSS (`VmRSS` in /proc/PID/status) once it has settled, before
any connection; then opens connections up to each size in `--idle-sizes` (all kept open, each
one joined to the room) and reads the settled RSS again. KiB per connection is
(RSS with N open - RSS before) / N. Nothing runs inside the server to measure it.
"""

from __future__ import annotations

import argparse
from typing import Any

from scale_sections import log, run_client, server_names

METRICS = {
    "rss_before_mib": "MiB RSS before any connection",
    "kib_per_connection": "KiB per idle connection",
    "rss_mib": "MiB RSS with the connections open",
    "opened": "connections open",
    "open_s": "seconds to open them (from the previous size)",
    "closed_by_server": "connections the server closed",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `--idle-*` options."""
    group = parser.add_argument_group("idle", "RSS at start and per idle connection")
    group.add_argument(
        "--idle-servers",
        default="raw,upstream,chanx,chanx-installed,chanx-baseline",
        help="comma-separated; chanx-baseline needs $CHANX_BENCH_BASELINE",
    )
    group.add_argument("--idle-sizes", default="5000,10000", help="connection counts, ascending")
    group.add_argument(
        "--idle-settle",
        type=float,
        default=10.0,
        help="seconds to wait at most for the RSS to settle",
    )
    group.add_argument(
        "--idle-open-cap",
        type=float,
        default=180.0,
        help="seconds to open each size at most; a slower server is "
        "reported with the connections it accepted",
    )


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run every server in turn; one row per (size, server)."""
    sizes = sorted(int(size) for size in args.idle_sizes.split(","))
    if not sizes or sizes[0] < 1 or sizes[-1] > 12_000:
        raise SystemExit("--idle-sizes: 1 to 12,000 connections")
    options = [
        f"--sizes={','.join(map(str, sizes))}",
        f"--settle={args.idle_settle}",
        f"--open-cap={args.idle_open_cap}",
    ]
    timeout = 60 + (args.idle_open_cap + 4 * args.idle_settle) * len(sizes)
    rows, notes = [], []
    for name in server_names(args.idle_servers, "idle"):
        try:
            result = run_client(name, "idle", options, timeout)
        except RuntimeError as exc:
            notes.append(f"{name}: no result, {str(exc).splitlines()[0]}")
            log("idle", f"{name}: failed: {exc}")
            continue
        before = result["rss_before_kib"]
        for step in result["steps"]:
            size, opened = step["size"], step["opened"]
            rows.append(
                {
                    "workload": f"{size:,} idle connections",
                    "server": name,
                    "rss_before_mib": before / 1024,
                    "kib_per_connection": (step["rss_kib"] - before) / opened,
                    "rss_mib": step["rss_kib"] / 1024,
                    "opened": opened,
                    "open_s": step["open_s"],
                    "closed_by_server": step["closed_by_server"],
                }
            )
            log(
                "idle",
                f"{name:<15} {opened:>6,} open in {step['open_s']:.1f} s: before "
                f"{before / 1024:.1f} MiB, {(step['rss_kib'] - before) / opened:.1f} KiB/conn",
            )
            if opened < size:
                notes.append(
                    f"{name}: only {opened:,} of {size:,} connections were accepted "
                    f"within --idle-open-cap {args.idle_open_cap:.0f} s; its row for "
                    f"{size:,} is per connection accepted"
                )
        if result["close_codes"]:
            notes.append(f"{name}: the server closed connections with {result['close_codes']}")
    notes.append(
        "RSS is VmRSS of the uvicorn process (one worker, fan-out room app), read from "
        "/proc/PID/status once three readings 0.5 s apart agree within 256 KiB."
    )
    return {
        "title": "Idle connections in one process",
        "metrics": METRICS,
        "rows": rows,
        "notes": notes,
    }
