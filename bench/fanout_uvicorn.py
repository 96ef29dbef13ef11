"""Group fan-out through Redis between two uvicorn processes: chanx's layer vs channels_redis's
pub/sub layer, side by side, and chanx's layer on a Redis Cluster.

Each case starts two uvicorn processes (``--ws websockets-sansio``) serving the same chanx
consumer (`apps/fanout_room.py`); only the channel layer differs. Two client processes open
half of the members each, one per server; one member sends `broadcasts` ``say`` messages (at
most 64 ahead of its own copies, so it never trips the per-connection backlog limit) and the
consumer broadcasts each to the room. Reported: deliveries per second (frames received by all
members / time from the first send to the last frame anywhere) and lost deliveries.

Prerequisites: ``.venv/bin/pip install channels_redis`` (bench-only); Redis at 127.0.0.1:6379;
``redis-server`` and ``redis-cli`` for ``--cluster``.

    .venv/bin/python bench/fanout_uvicorn.py --cluster --json bench/results/fanout-uvicorn.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAYERS = ("chanx-redis", "channels_redis-pubsub")
CLUSTER = "chanx-redis-cluster"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def uvicorn_pair(kind: str, url: str) -> Iterator[list[int]]:
    """Two uvicorn processes of the room app on `kind`'s layer; killed afterwards."""
    env = {**os.environ, "BENCH_LAYER": kind, "BENCH_REDIS_URL": url}
    env["BENCH_PREFIX"] = f"bench-{uuid.uuid4().hex[:8]}"
    env["PYTHONPATH"] = str(HERE / "apps")
    ports = [free_port(), free_port()]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "fanout_room:app", "--port", str(port),
             "--ws", "websockets-sansio", "--log-level", "warning"],
            env=env,
        )
        for port in ports
    ]  # fmt: skip
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"uvicorn on {port} did not start") from None
                    time.sleep(0.05)
        yield ports
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait(10)


def expect(client: subprocess.Popen[str], word: str) -> None:
    """Read the client's next line; it must be `word`."""
    assert client.stdout is not None
    line = client.stdout.readline().strip()
    if line != word:
        raise RuntimeError(f"fan-out client said {line!r}, expected {word!r}")


def run_case(kind: str, url: str, members: int, broadcasts: int) -> dict[str, Any]:
    """One measurement: `members` split over two servers, `broadcasts` from one member."""
    with uvicorn_pair(kind, url) as ports:
        half = members // 2
        clients = []
        for index, port in enumerate(ports):
            command = [sys.executable, str(HERE / "fanout_client.py"), "--url",
                       f"ws://127.0.0.1:{port}/ws", "--count", str(half),
                       "--expected", str(broadcasts)]  # fmt: skip
            if index == 0:
                command += ["--send", str(broadcasts)]
            clients.append(
                subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            )
        try:
            for client in clients:
                expect(client, "connected")
            time.sleep(1.0)  # group joins finish after the handshake
            sender = clients[0]
            assert sender.stdin is not None
            sender.stdin.write("probe\n")
            sender.stdin.flush()
            for client in clients:
                expect(client, "ready")
            sender.stdin.write("go\n")
            sender.stdin.flush()
            results = []
            for client in clients:
                assert client.stdout is not None
                results.append(json.loads(client.stdout.readline()))
                client.wait(60)
        finally:
            for client in clients:
                if client.poll() is None:
                    client.kill()
    received = sum(r["received"] for r in results)
    start = results[0]["start"]
    last = max(r["last"] for r in results)
    expected = members * broadcasts
    elapsed = max(last - start, 1e-9)
    return {
        "layer": kind,
        "members": members,
        "broadcasts": broadcasts,
        "expected": expected,
        "delivered": received,
        "lost": expected - received,
        "seconds": round(elapsed, 3),
        "deliveries_per_s": round(received / elapsed),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--layers", default=",".join(LAYERS))
    parser.add_argument("--deliveries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cluster", action="store_true", help="also chanx on a local cluster")
    parser.add_argument("--json", help="also write the results to this file")
    options = parser.parse_args()
    kinds = options.layers.split(",")
    urls = dict.fromkeys(kinds, options.url)
    runs: list[dict[str, Any]] = []
    with contextlib.ExitStack() as stack:
        if options.cluster:
            sys.path.insert(0, str(HERE))
            from redis_cluster import local_cluster

            urls[CLUSTER] = stack.enter_context(local_cluster())
            kinds.append(CLUSTER)
        for _ in range(options.repeat):  # rounds interleave the layers
            for members in (100, 1000):
                for kind in kinds:
                    broadcasts = options.deliveries // members
                    result = run_case(kind, urls[kind], members, broadcasts)
                    runs.append(result)
                    print(json.dumps(result), flush=True)
    print()
    print("| members | layer | best delivered/s | median | lost (worst run) |")
    print("|---|---|---|---|---|")
    summary = []
    for members in (100, 1000):
        for kind in kinds:
            mine = [r for r in runs if r["layer"] == kind and r["members"] == members]
            rates = sorted(r["deliveries_per_s"] for r in mine)
            row = {"layer": kind, "members": members, "best_per_s": rates[-1],
                   "median_per_s": rates[(len(rates) - 1) // 2],
                   "lost_worst": max(r["lost"] for r in mine), "runs": len(mine)}  # fmt: skip
            summary.append(row)
            print(f"| {members} | {kind} | {row['best_per_s']:,} | {row['median_per_s']:,} | "
                  f"{row['lost_worst']} |")  # fmt: skip
    if options.json:
        meta = {"python": sys.version.split()[0], "machine": platform.machine(),
                "cpus": os.cpu_count(), "deliveries": options.deliveries,
                "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}  # fmt: skip
        with open(options.json, "w") as out:
            json.dump({"meta": meta, "summary": summary, "runs": runs}, out, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
