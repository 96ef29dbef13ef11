"""Django at Starlette's speed: chanx's Django consumer on each ``CHANNEL_LAYERS`` backend.

A section of `bench/scale.py`, runnable on its own. Every server is a uvicorn process
(``--ws websockets-sansio``, one worker) on a free loopback port, driven by a load client in
another process, one server at a time; rounds alternate the order and rows are medians.

- fan-out: `--django-members` connections in one group, closed loop of broadcasts (each
  waits until every member has it), server CPU per delivery (`bench/fanout_local.py`'s
  client): chanx on Django with Channels' ``InMemoryChannelLayer``, chanx's in-memory layer
  and chanx's Redis layer as ``CHANNEL_LAYERS``; chanx on Starlette for reference; and, with
  `--django-upstream`, upstream chanx 2.13 on Django (Channels' in-memory layer).
- ping round trip: `--django-connections` connections in a closed ping/pong loop, server CPU
  per message (`bench/loadclient.py`), Django and Starlette adapters.

`--django-baseline DIR` (default ``$CHANX_BENCH_BASELINE``) adds the Django rows run with an
earlier chanx checkout first on ``PYTHONPATH``, for before/after figures from one run.

    .venv/bin/python bench/scale_django.py --json bench/results/scale-django.json
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import report  # noqa: E402
import servers  # noqa: E402

REPO = BENCH.parent
FANOUT = "fan-out to {members} members"
PING = "ping round trip"
STARLETTE = "chanx on Starlette (in-memory layer)"
DJANGO_LAYERS = {
    "channels-memory": "chanx on Django, Channels' InMemoryChannelLayer",
    "chanx-memory": "chanx on Django, chanx InMemoryChannelLayer",
    "chanx-redis": "chanx on Django, chanx RedisChannelLayer",
}
METRICS = {
    "cpu_us_per_delivery": "server CPU µs/delivery",
    "cpu_us_per_message": "server CPU µs/message",
    "vs_starlette": "x chanx on Starlette",
    "p50_ms": "p50 ms",
    "p99_ms": "p99 ms",
    "lost": "lost",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The section's options, all prefixed ``--django-``."""
    group = parser.add_argument_group("Django at Starlette's speed (scale_django)")
    group.add_argument("--django-members", type=int, default=100, help="fan-out group size")
    group.add_argument("--django-broadcasts", type=int, default=200, help="measured, per run")
    group.add_argument("--django-warmup", type=int, default=20, help="broadcasts unmeasured")
    group.add_argument("--django-connections", type=int, default=64, help="ping connections")
    group.add_argument("--django-duration", type=float, default=5.0, help="ping s measured")
    group.add_argument("--django-ping-warmup", type=float, default=1.0, help="ping s unmeasured")
    group.add_argument("--django-rounds", type=int, default=1, help="every other is reversed")
    group.add_argument("--django-loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    group.add_argument("--django-redis-url", default="redis://127.0.0.1:6379/0")
    group.add_argument(
        "--django-baseline",
        default=os.environ.get("CHANX_BENCH_BASELINE", ""),
        help="an earlier chanx checkout: adds its Django rows (before/after in one run)",
    )
    group.add_argument(
        "--django-upstream",
        action="store_true",
        help="add upstream chanx 2.13 on Django (installs bench/.venv-upstream-django once)",
    )


def _check_bounds(args: argparse.Namespace) -> None:
    if not 1 <= args.django_members <= 1000 or not 1 <= args.django_broadcasts <= 5000:
        raise SystemExit("--django-members: 1-1000, --django-broadcasts: 1-5000")
    if not 1 <= args.django_connections <= 500 or not 0 < args.django_duration <= 60:
        raise SystemExit("--django-connections: 1-500, --django-duration: at most 60 s")
    if not 1 <= args.django_rounds <= 10:
        raise SystemExit("--django-rounds: 1-10")
    host = args.django_redis_url.split("//", 1)[-1].split("@")[-1].split(":")[0].split("/")[0]
    if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
        raise SystemExit(f"{args.django_redis_url} is not on the loopback interface")


def _upstream_python() -> Path:
    import upstream_django_env

    return upstream_django_env.ensure()


def _specs(args: argparse.Namespace, workload: str) -> list[tuple[str, servers.ServerSpec]]:
    """(row label, server) pairs for one workload."""
    main = servers.main_python
    baseline = str(Path(args.django_baseline).resolve()) if args.django_baseline else ""
    redis = {"BENCH_REDIS_URL": args.django_redis_url, "BENCH_PREFIX": f"scale-dj-{os.getpid()}"}
    specs: list[tuple[str, servers.ServerSpec]] = []
    if workload == "fanout":
        for layer, label in DJANGO_LAYERS.items():
            env = {"BENCH_DJANGO_LAYER": layer, **(redis if layer == "chanx-redis" else {})}
            specs.append((label, servers.ServerSpec(label, "django_fanout:application", main, env)))
        specs.append((STARLETTE, servers.ServerSpec(STARLETTE, "chanx_fanout:app", main)))
        app = "django_fanout:application"
    else:
        label = "chanx on Django (chanx in-memory layer)"
        specs.append((label, servers.ServerSpec(label, "django_ping:application", main)))
        specs.append((STARLETTE, servers.ServerSpec(STARLETTE, "chanx_ping:app", main)))
        app = "django_ping:application"
    if baseline:
        label = f"baseline chanx on Django, chanx InMemoryChannelLayer ({Path(baseline).name})"
        env = {"PYTHONPATH": baseline, "BENCH_DJANGO_LAYER": "chanx-memory"}
        specs.append((label, servers.ServerSpec(label, app, main, env)))
    if args.django_upstream:
        label = "upstream chanx 2.13 on Django, Channels' InMemoryChannelLayer"
        env = {"BENCH_DJANGO_LAYER": "channels-memory", "BENCH_UPSTREAM": "1"}
        specs.append((label, servers.ServerSpec(label, app, _upstream_python, env)))
    return specs


def _fanout_run(args: argparse.Namespace, spec: servers.ServerSpec) -> dict[str, Any]:
    """One fan-out run: `fanout_local.py`'s client against `spec`, a one-shout burst."""
    with servers.running(spec, args.django_loop) as server:
        command = [
            sys.executable, str(BENCH / "fanout_local.py"), "--client", "--url", server.url,
            "--server-pid", str(server.pid), f"--members={args.django_members}",
            f"--warmup={args.django_warmup}", f"--broadcasts={args.django_broadcasts}",
            "--burst=1", "--stall=5", "--burst-cap=10",
        ]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load client failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "cpu_us_per_delivery": result["server_cpu_us_per_delivery"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "lost": result["closed_lost"],
    }


def _ping_run(args: argparse.Namespace, spec: servers.ServerSpec) -> dict[str, Any]:
    """One round-trip run: `loadclient.py` against `spec`."""
    with servers.running(spec, args.django_loop) as server:
        command = [
            sys.executable, str(BENCH / "loadclient.py"), "--url", server.url,
            "--server-pid", str(server.pid), "--connections", str(args.django_connections),
            "--warmup", str(args.django_ping_warmup), "--duration", str(args.django_duration),
            "--max-messages", "5000000",
        ]  # fmt: skip
        timeout = args.django_ping_warmup + args.django_duration + 90
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"load client failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "cpu_us_per_message": result["server_cpu_us_per_msg"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "lost": result.get("errors", 0),
    }


Runner = Callable[[argparse.Namespace, servers.ServerSpec], dict[str, Any]]


def _workload(
    args: argparse.Namespace, name: str, workload: str, run: Runner, notes: list[str]
) -> list[dict[str, Any]]:
    """Every server of one workload, `--django-rounds` times; one median row per server."""
    specs = _specs(args, workload)
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in specs}
    for round_no in range(args.django_rounds):
        for label, spec in specs if round_no % 2 == 0 else list(reversed(specs)):
            try:
                figures = run(args, spec)
            except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
                last = str(exc).strip().splitlines()[-1:] or [repr(exc)]
                notes.append(f"{name} / {label}: failed in round {round_no + 1}: {last[0]}")
                continue
            runs[label].append(figures)
            print(f"bench: {name} round {round_no + 1} {label}: {figures}", file=sys.stderr)
            time.sleep(0.5)
    rows = []
    for label, figures in runs.items():
        row: dict[str, Any] = {"workload": name, "server": label}
        for key in METRICS:
            values = [f[key] for f in figures if f.get(key) is not None]
            row[key] = statistics.median(values) if values else None
        rows.append(row)
    return rows


def _add_ratios(rows: list[dict[str, Any]], metric: str) -> None:
    """Each row's `metric` over the Starlette row's (the ratio the goals are stated in)."""
    reference = next((r[metric] for r in rows if r["server"] == STARLETTE), None)
    for row in rows:
        value = row[metric]
        row["vs_starlette"] = value / reference if value is not None and reference else None


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Run both workloads; rows per server, notes with settings and the goals' verdicts."""
    _check_bounds(args)
    notes = [
        f"uvicorn --ws {servers.WS_IMPL} --loop {args.django_loop}, one worker, loopback; "
        f"{args.django_rounds} round(s), medians; server CPU from psutil (user + system).",
        f"Fan-out: {args.django_members} members, {args.django_broadcasts} closed-loop "
        f"broadcasts after {args.django_warmup}; ping: {args.django_connections} connections, "
        f"{args.django_duration:g} s after {args.django_ping_warmup:g} s.",
        "Django apps: bench/apps/django_fanout.py and django_ping.py (ProtocolTypeRouter > "
        "AuthMiddlewareStack > URLRouter), layers from bench/apps/django_site.py.",
    ]
    fanout = FANOUT.format(members=args.django_members)
    rows = _workload(args, fanout, "fanout", _fanout_run, notes)
    _add_ratios(rows, "cpu_us_per_delivery")
    ping_rows = _workload(args, PING, "ping", _ping_run, notes)
    _add_ratios(ping_rows, "cpu_us_per_message")
    rows += ping_rows
    django_fanout = next((r for r in rows if r["server"] == DJANGO_LAYERS["chanx-memory"]), {}).get(
        "cpu_us_per_delivery"
    )
    django_ping = next((r for r in ping_rows if r["server"].startswith("chanx on Django")), {}).get(
        "vs_starlette"
    )
    if django_fanout is not None:
        verdict = "met" if django_fanout <= 40 else "not met"
        notes.append(
            f"Goal fan-out <= 40 µs/delivery (chanx layer): {django_fanout:.1f}, {verdict}."
        )
    if django_ping is not None:
        verdict = "met" if django_ping <= 1.2 else "not met"
        notes.append(f"Goal ping <= 1.2x Starlette: {django_ping:.2f}x, {verdict}.")
    return {
        "title": "Django at Starlette's speed",
        "metrics": METRICS,
        "rows": rows,
        "notes": notes,
    }


def markdown(section: dict[str, Any]) -> str:
    """The section as a Markdown table plus its notes."""
    keys = list(section["metrics"])
    lines = [
        f"### {section['title']}",
        "",
        "| workload | server | " + " | ".join(section["metrics"].values()) + " |",
        "|---|---|" + "---:|" * len(keys),
    ]
    for row in section["rows"]:
        cells = []
        for key in keys:
            value = row.get(key)
            if key == "lost" and value is not None:
                value = int(value)
            cells.append(
                ""
                if value is None
                else f"{value:,.2f}"
                if isinstance(value, float)
                else f"{value:,}"
            )
        lines.append(f"| {row['workload']} | {row['server']} | " + " | ".join(cells) + " |")
    lines += ["", *(f"- {note}" for note in section["notes"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the section on its own; print Markdown, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    parser.add_argument("--json", type=Path, help="also write the section and environment here")
    args = parser.parse_args(argv)
    section = measure(args)
    env = report.environment(REPO, None)
    env["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join([".venv/bin/python", "bench/scale_django.py", *sys.argv[1:]])
    print(f"Date: {env['date']}\nCommand: `{command}`\n")
    print(markdown(section))
    if args.json:
        payload = {"command": command, "environment": env, "settings": vars(args), **section}
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
