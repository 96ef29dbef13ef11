"""Closed-loop WebSocket load client: N connections, each sends a ping and awaits the pong.

Runs as its own process (so its CPU time is not charged to the server) and prints one JSON
object on stdout. Given `--server-pid`, it reads that process's CPU time (user + system) at
the start and the end of the measured window, so CPU per message covers exactly the messages
counted.

    python bench/loadclient.py --url ws://127.0.0.1:8000/ws --server-pid 1234
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

import psutil
from websockets.asyncio.client import ClientConnection, connect

PING = '{"action":"ping"}'
PONG_MARK = '"pong"'


@dataclass
class Window:
    """Shared state of the measured window; workers record only while `measuring`."""

    measuring: bool = False
    stopping: bool = False
    max_messages: int = 0
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    full: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Result:
    """What one load run measured (times in seconds unless the name says otherwise)."""

    connections: int
    messages: int
    elapsed_s: float
    messages_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_s: float | None
    server_cpu_us_per_msg: float | None
    client_cpu_us_per_msg: float
    other_cpu_pct: float
    steal_pct: float


async def _worker(ws: ClientConnection, window: Window) -> None:
    """One closed loop: ping, await the reply, record it while the window is open."""
    clock = time.perf_counter_ns
    while not window.stopping:
        started = clock()
        await ws.send(PING)
        reply = await ws.recv()
        if not window.measuring:
            continue
        window.latencies_ns.append(clock() - started)
        if PONG_MARK not in reply:
            window.errors += 1
        if len(window.latencies_ns) >= window.max_messages:
            window.full.set()


async def _open(url: str, count: int, within_s: float) -> list[ClientConnection]:
    """Open `count` connections concurrently, all within `within_s` seconds."""
    async with asyncio.timeout(within_s):
        # compression=None: measure the frameworks, not permessage-deflate.
        return list(await asyncio.gather(*(connect(url, compression=None) for _ in range(count))))


def _first_reply_check(reply: str | bytes) -> None:
    """Fail early, with the reply quoted, if the server does not speak ping/pong."""
    data = json.loads(reply)
    if data.get("action") != "pong":
        raise RuntimeError(f"expected a pong reply to {PING}, got {reply!r}")


def _cpu_seconds(process: psutil.Process) -> float:
    """User + system CPU time the process has used so far."""
    times = process.cpu_times()
    return float(times.user + times.system)


def _machine_cpu() -> tuple[float, float]:
    """Machine-wide (busy, steal) CPU seconds so far, summed over all CPUs."""
    times = psutil.cpu_times()
    busy = times.user + times.nice + times.system
    return float(busy), float(getattr(times, "steal", 0.0))


def _percentile_ms(sorted_ns: list[int], fraction: float) -> float:
    """Nearest-rank percentile of sorted nanosecond samples, in milliseconds."""
    if not sorted_ns:
        return float("nan")
    index = min(len(sorted_ns) - 1, round(fraction * (len(sorted_ns) - 1)))
    return sorted_ns[index] / 1e6


async def run(
    url: str,
    connections: int,
    warmup: float,
    duration: float,
    max_messages: int,
    server_pid: int | None,
) -> Result:
    """Drive `connections` closed loops for `warmup` then measure for `duration` seconds.

    The measured window also ends early once `max_messages` replies were counted.
    """
    server = psutil.Process(server_pid) if server_pid else None
    me = psutil.Process()
    window = Window(max_messages=max_messages)
    sockets = await _open(url, connections, within_s=30.0)
    try:
        await sockets[0].send(PING)
        _first_reply_check(await asyncio.wait_for(sockets[0].recv(), 10.0))
        tasks = [asyncio.create_task(_worker(ws, window)) for ws in sockets]
        await asyncio.sleep(warmup)

        server_cpu_0 = _cpu_seconds(server) if server else None
        client_cpu_0 = _cpu_seconds(me)
        machine_0 = _machine_cpu()
        started = time.perf_counter()
        window.measuring = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(window.full.wait(), duration)
        window.measuring = False
        elapsed = time.perf_counter() - started
        server_cpu_1 = _cpu_seconds(server) if server else None
        client_cpu_1 = _cpu_seconds(me)
        machine_1 = _machine_cpu()

        window.stopping = True
        _done, pending = await asyncio.wait(tasks, timeout=10.0)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10.0):
                await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)

    latencies = sorted(window.latencies_ns)
    messages = len(latencies)
    per_msg = 1e6 / messages if messages else float("nan")
    server_cpu = None
    if server_cpu_0 is not None and server_cpu_1 is not None:
        server_cpu = server_cpu_1 - server_cpu_0
    client_cpu = client_cpu_1 - client_cpu_0
    # Busy CPU time of everything else on the machine, in % of one CPU: noise to watch for.
    other_cpu = machine_1[0] - machine_0[0] - client_cpu - (server_cpu or 0.0)
    return Result(
        connections=connections,
        messages=messages,
        elapsed_s=elapsed,
        messages_per_s=messages / elapsed,
        p50_ms=statistics.median(latencies) / 1e6 if latencies else float("nan"),
        p99_ms=_percentile_ms(latencies, 0.99),
        errors=window.errors,
        server_cpu_s=server_cpu,
        server_cpu_us_per_msg=None if server_cpu is None else server_cpu * per_msg,
        client_cpu_us_per_msg=client_cpu * per_msg,
        other_cpu_pct=max(0.0, other_cpu) / elapsed * 100,
        steal_pct=(machine_1[1] - machine_0[1]) / elapsed * 100,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="ws:// URL on the loopback interface")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds")
    parser.add_argument("--max-messages", type=int, default=5_000_000)
    parser.add_argument("--server-pid", type=int, help="process whose CPU time to sample")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one load run and print its result as JSON."""
    args = _parser().parse_args(argv)
    host = urlsplit(args.url).hostname or ""
    if not (host == "localhost" or host == "::1" or host.startswith("127.")):
        raise SystemExit(f"loadclient: {args.url} is not on the loopback interface; refusing")
    load = run(
        args.url, args.connections, args.warmup, args.duration, args.max_messages, args.server_pid
    )
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(load)
    else:
        result = uvloop.run(load)
    json.dump(asdict(result), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
