"""Round-trip benchmark: chanx vs a raw Starlette endpoint vs upstream chanx 2.13.

Each server runs in turn under the same uvicorn (`--ws websockets-sansio`, one worker, log level
warning, no access log) on a free loopback port. A separate load-client process keeps N
connections in a closed ping/pong loop, warms up, then measures throughput, latency and the
server process's CPU time per message. Rounds alternate the order (A B C, C B A, ...) and the
summary takes medians, because on a small, noisy machine ratios and CPU per message are what
compare, not absolute messages per second.

    .venv/bin/python bench/roundtrip.py --rounds 2 --json bench/results.json

This is a measurement, not a test: it never fails on a slow result.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import report
import servers
import upstream_env

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
LOADCLIENT = BENCH_DIR / "loadclient.py"
DEFAULT_SERVERS = "chanx,raw,upstream"
SERVER_CPUS, CLIENT_CPUS = {0}, {1}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--servers",
        default=DEFAULT_SERVERS,
        help=f"comma-separated, from: {', '.join(servers.SERVERS)}",
    )
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per run")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument(
        "--max-messages", type=int, default=5_000_000, help="cap on messages per measured window"
    )
    parser.add_argument("--rounds", type=int, default=1, help="every other round is reversed")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds idle between runs")
    parser.add_argument(
        "--loop", default="auto", choices=("auto", "asyncio", "uvloop"), help="uvicorn --loop"
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="pin the server to CPU 0 and the load client to CPU 1 (needs 2+ CPUs)",
    )
    parser.add_argument("--json", type=Path, help="also write every run and the summary here")
    return parser


def _chanx_importable() -> tuple[bool, str]:
    """Whether this repo's chanx can serve the benchmark app yet (its core lands separately)."""
    done = subprocess.run(
        [sys.executable, "-c", "import chanx_ping"],
        cwd=servers.APPS_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stderr.strip().splitlines()
    return done.returncode == 0, lines[-1] if lines else ""


def _order(names: list[str], rounds: int) -> list[tuple[int, str]]:
    """(round, server) pairs: forward on even rounds, reversed on odd ones."""
    plan: list[tuple[int, str]] = []
    for index in range(rounds):
        sequence = names if index % 2 == 0 else list(reversed(names))
        plan.extend((index + 1, name) for name in sequence)
    return plan


def _load(args: argparse.Namespace, server: servers.RunningServer) -> dict[str, Any]:
    """Run the load client against `server` in its own process; return its JSON result."""
    command = [
        sys.executable,
        str(LOADCLIENT),
        "--url",
        server.url,
        "--server-pid",
        str(server.pid),
        "--connections",
        str(args.connections),
        "--warmup",
        str(args.warmup),
        "--duration",
        str(args.duration),
        "--max-messages",
        str(args.max_messages),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if args.pin:
            os.sched_setaffinity(proc.pid, CLIENT_CPUS)
        stdout, stderr = proc.communicate(timeout=args.warmup + args.duration + 90)
    finally:
        servers.stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"load client failed ({proc.returncode}):\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def _run_one(args: argparse.Namespace, round_no: int, name: str) -> dict[str, Any]:
    """Start one server, load it, stop it; log and return the run's figures."""
    spec = servers.SERVERS[name]
    with servers.running(spec, args.loop, SERVER_CPUS if args.pin else None) as server:
        result = _load(args, server)
    result.update(server=name, round=round_no, server_command=shlex.join(server.command))
    print(
        f"bench: round {round_no} {name:<17} {result['messages_per_s']:>9,.0f} msg/s  "
        f"p50 {result['p50_ms']:.2f} ms  p99 {result['p99_ms']:.2f} ms  "
        f"server {result['server_cpu_us_per_msg']:.1f} µs/msg  "
        f"other CPU {result['other_cpu_pct']:.0f}%  steal {result['steal_pct']:.0f}%",
        file=sys.stderr,
        flush=True,
    )
    return result


def _header(command: str, env: dict[str, Any], args: argparse.Namespace) -> str:
    """Date, command, load settings, versions and machine, one per line."""
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    machine = env["machine"]
    return "\n".join(
        [
            f"Date: {env['date']}",
            f"Command: `{command}`",
            f"Load: {args.connections} connections, closed loop, {args.warmup:g} s warm-up, "
            f"{args.duration:g} s measured, {args.rounds} round(s); uvicorn --ws "
            f"{servers.WS_IMPL} --loop {args.loop}, 1 worker"
            + (", server pinned to CPU 0 and client to CPU 1" if args.pin else ""),
            f"Versions: {versions}",
            f"Machine: nproc {machine['nproc']}, {machine['cpu']}, {machine['platform']}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the Markdown summary on stdout."""
    args = _parser().parse_args(argv)
    command = shlex.join([".venv/bin/python", "bench/roundtrip.py", *sys.argv[1:]])
    names = [name.strip() for name in args.servers.split(",") if name.strip()]
    unknown = [name for name in names if name not in servers.SERVERS]
    if unknown:
        raise SystemExit(f"unknown server(s) {unknown}; choose from {list(servers.SERVERS)}")

    if args.pin and len(os.sched_getaffinity(0)) < 2:
        raise SystemExit("--pin needs at least 2 CPUs")

    pending: list[str] = []
    if "chanx" in names:
        ok, why = _chanx_importable()
        if not ok:
            print(f"bench: chanx app not importable yet ({why}); chanx: pending", file=sys.stderr)
            names.remove("chanx")
            pending.append("chanx")

    upstream_versions = None
    if any(name.startswith("upstream") for name in names):
        upstream_versions = upstream_env.installed_versions(
            upstream_env.ensure(), ("chanx", "fast-channels", *report.STACK)
        )

    runs: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    for index, (round_no, name) in enumerate(_order(names, args.rounds)):
        if name in failed:
            continue
        if index:
            time.sleep(args.pause)
        try:
            runs.append(_run_one(args, round_no, name))
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            # One broken server must not hide the others' figures; it is reported as failed.
            print(f"bench: {name} failed in round {round_no}: {exc}", file=sys.stderr, flush=True)
            failed[name] = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)

    summary = report.medians(runs)
    ratio_rows = report.ratios(summary)
    env = report.environment(REPO, upstream_versions)
    env["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    descriptions = {name: spec.description for name, spec in servers.SERVERS.items()}

    print(_header(command, env, args))
    print()
    print(report.markdown(summary, ratio_rows, descriptions, pending, failed))
    if args.json:
        payload = {
            "command": command,
            "environment": env,
            "settings": vars(args) | {"json": str(args.json)},
            "runs": runs,
            "summary": summary,
            "ratios": ratio_rows,
            "pending": pending,
            "failed": failed,
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
