"""Topic costs in one process: broadcast vs plain group fan-out, resume, subscribe round trips.

Everything runs in this process on the in-memory layer, through the real ASGI serving loop
(`Consumer.as_asgi()` called with in-memory `receive`/`send`), so what is measured is chanx's
own work per delivery or per frame, without sockets and without a client process:

- fan-out: `--members` connections, all in the group `room` and subscribed to the topic
  `bench/1`; one of them sends `--broadcasts` frames whose handler either does
  `broadcast_message` to the group (the plain relay, encoded once) or `BenchTopic.broadcast`
  (offset, history, push encoded once). CPU time (`time.process_time`) from the first frame
  to the last delivery, divided by the deliveries.
- resume: `--missed` pushes are broadcast to a connection that then unsubscribes; it
  subscribes again with `since` offset 0. Wall and CPU time from the subscribe frame to the
  last missed push.
- subscribe + unsubscribe vs ping: one connection; `--pairs` times, the CPU time of a
  subscribe and an unsubscribe (each waiting for its reply) vs one ping round trip.

With `--socket`, the same comparison also runs over a real socket: `bench/apps/chanx_topics.py`
under uvicorn (`--ws websockets-sansio`), one client connection in this process; reported are
the server process's CPU time (psutil) and the client's wall time per ping and per pair.

Rounds alternate the order of the two fan-out variants and the summary takes medians.

    .venv/bin/python bench/topics.py --rounds 5 --socket --json bench/results/topics.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

from chanx.core.decorators import ws_handler
from chanx.core.topic import Topic
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import reset_layers
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"
    payload: dict[str, Any]


class TopicShout(BaseMessage):
    action: Literal["topic_shout"] = "topic_shout"
    payload: dict[str, Any]


class BenchTopic(Topic[Shout]):
    pattern = "bench/{n}"
    history_size = 2000


class BenchConsumer(AsyncJsonWebsocketConsumer):
    groups: ClassVar[list[str]] = ["room"]
    topics = [BenchTopic]
    subscribe_rate = None
    log_websocket_message = False
    send_completion = False

    @ws_handler(output_type=Shout)
    async def handle_shout(self, message: Shout) -> None:
        await self.broadcast_message(message)

    @ws_handler
    async def handle_topic_shout(self, message: TopicShout) -> None:
        await BenchTopic.broadcast("bench/1", Shout(payload=message.payload))

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()


APP = BenchConsumer.as_asgi()


class Conn:
    """One in-process connection: frames in through a queue, frames out counted."""

    def __init__(self, on_frame: Callable[[str], None]) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.on_frame = on_frame
        self.opened = asyncio.Event()
        scope = {"type": "websocket", "path": "/ws", "query_string": b"", "headers": [],
                 "client": ("127.0.0.1", 1), "server": ("bench", 80), "subprotocols": [],
                 "path_params": {}, "state": {}}  # fmt: skip
        self.task = asyncio.ensure_future(APP(scope, self.inbox.get, self._send))
        self.inbox.put_nowait({"type": "websocket.connect"})

    async def _send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.opened.set()
        elif kind == "websocket.send":
            self.on_frame(message["text"])

    def send(self, data: dict[str, Any]) -> None:
        self.inbox.put_nowait({"type": "websocket.receive", "text": json.dumps(data)})

    async def close(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await self.task


class Counter:
    """Counts frames; `wait(n)` returns once `n` have arrived in total."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done: asyncio.Future[None] | None = None
        self.last: str = ""

    def __call__(self, frame: str) -> None:
        self.count += 1
        self.last = frame
        if self.count >= self.target and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def wait(self, total: int) -> None:
        self.target = total
        if self.count < total:
            self.done = asyncio.get_running_loop().create_future()
            await self.done


async def fanout(members: int, broadcasts: int, variant: str) -> float:
    """CPU µs per delivery of `broadcasts` frames to `members` connections."""
    reset_layers()
    counter = Counter()
    conns = [Conn(counter) for _ in range(members)]
    for conn in conns:
        await conn.opened.wait()
    for conn in conns:
        conn.send({"action": "subscribe", "version": 1, "topic": "bench/1"})
    await counter.wait(members)  # the subscribed replies
    base = counter.count
    action = "shout" if variant == "group" else "topic_shout"
    start = time.process_time()
    for seq in range(broadcasts):
        conns[0].send({"action": action, "payload": {"seq": seq, "text": "hello"}})
        await counter.wait(base + (seq + 1) * members)
    cpu = time.process_time() - start
    for conn in conns:
        await conn.close()
    return cpu / (broadcasts * members) * 1e6


async def resume(missed: int) -> tuple[float, float]:
    """(wall ms, CPU ms) from a resuming subscribe to the last of `missed` pushes."""
    reset_layers()
    counter = Counter()
    conn = Conn(counter)
    await conn.opened.wait()
    conn.send({"action": "subscribe", "version": 1, "topic": "bench/9", "ref": "s"})
    await counter.wait(1)
    epoch = json.loads(counter.last)["epoch"]
    for n in range(missed):
        await BenchTopic.broadcast("bench/9", Shout(payload={"n": n}))
    await counter.wait(1 + missed)
    conn.send({"action": "unsubscribe", "version": 1, "topic": "bench/9"})
    await counter.wait(2 + missed)
    start, cpu = time.perf_counter(), time.process_time()
    since = {"offset": 0, "epoch": epoch}
    conn.send({"action": "subscribe", "version": 1, "topic": "bench/9", "since": since})
    await counter.wait(3 + 2 * missed)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    last = json.loads(counter.last)
    assert last["offset"] == missed, last
    await conn.close()
    return elapsed * 1000, cpu * 1000


async def round_trips(pairs: int) -> tuple[float, float]:
    """(CPU µs per ping round trip, CPU µs per subscribe + unsubscribe pair)."""
    reset_layers()
    counter = Counter()
    conn = Conn(counter)
    await conn.opened.wait()
    sent = 0
    start = time.process_time()
    for _ in range(pairs):
        conn.send({"action": "ping"})
        sent += 1
        await counter.wait(sent)
    ping = (time.process_time() - start) / pairs * 1e6
    start = time.process_time()
    for _ in range(pairs):
        conn.send({"action": "subscribe", "version": 1, "topic": "bench/2", "ref": "a"})
        sent += 1
        await counter.wait(sent)
        conn.send({"action": "unsubscribe", "version": 1, "topic": "bench/2", "ref": "b"})
        sent += 1
        await counter.wait(sent)
    pair = (time.process_time() - start) / pairs * 1e6
    await conn.close()
    return ping, pair


async def socket_round_trips(pairs: int) -> dict[str, float]:
    """Over a real socket to uvicorn: server CPU and client wall time per ping and per pair."""
    import psutil
    import websockets

    import servers

    spec = servers.ServerSpec("chanx-topics", "chanx_topics:app", servers.main_python)
    result: dict[str, float] = {}
    with servers.running(spec, "auto") as server:
        process = psutil.Process(server.pid)
        async with websockets.connect(server.url, compression=None) as ws:
            ping = json.dumps({"action": "ping"})
            sub = json.dumps({"action": "subscribe", "version": 1, "topic": "notes/1"})
            unsub = json.dumps({"action": "unsubscribe", "version": 1, "topic": "notes/1"})
            for _ in range(200):  # warm-up
                await ws.send(ping)
                await ws.recv()
            for name, frames in (("ping", [ping]), ("pair", [sub, unsub])):
                cpu, start = sum(process.cpu_times()[:2]), time.perf_counter()
                for _ in range(pairs):
                    for frame in frames:
                        await ws.send(frame)
                        await ws.recv()
                wall = time.perf_counter() - start
                cpu = sum(process.cpu_times()[:2]) - cpu
                result[f"socket_{name}_server_cpu_us"] = cpu / pairs * 1e6
                result[f"socket_{name}_wall_us"] = wall / pairs * 1e6
    return result


async def main(args: argparse.Namespace) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    for index in range(args.rounds):
        order = ["group", "topic"] if index % 2 == 0 else ["topic", "group"]
        run: dict[str, Any] = {}
        for variant in order:
            run[variant] = await fanout(args.members, args.broadcasts, variant)
        run["resume_ms"], run["resume_cpu_ms"] = await resume(args.missed)
        run["ping_us"], run["pair_us"] = await round_trips(args.pairs)
        if args.socket:
            run.update(await socket_round_trips(args.pairs))
        print(json.dumps(run), file=sys.stderr)
        runs.append(run)

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    summary = {
        "group_us_per_delivery": median("group"),
        "topic_us_per_delivery": median("topic"),
        "topic_over_group": statistics.median(r["topic"] / r["group"] for r in runs),
        "resume_ms": median("resume_ms"),
        "resume_cpu_ms": median("resume_cpu_ms"),
        "ping_us": median("ping_us"),
        "subscribe_unsubscribe_us": median("pair_us"),
        "pair_over_ping": statistics.median(r["pair_us"] / r["ping_us"] for r in runs),
        "operation_over_ping": statistics.median(r["pair_us"] / 2 / r["ping_us"] for r in runs),
    }
    if args.socket:
        for key in ("server_cpu_us", "wall_us"):
            summary[f"socket_ping_{key}"] = median(f"socket_ping_{key}")
            summary[f"socket_pair_{key}"] = median(f"socket_pair_{key}")
            summary[f"socket_pair_over_ping_{key}"] = statistics.median(
                r[f"socket_pair_{key}"] / r[f"socket_ping_{key}"] for r in runs
            )
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "python": platform.python_version(),
        "config": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "summary": summary,
        "runs": runs,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--broadcasts", type=int, default=50)
    parser.add_argument("--missed", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--socket", action="store_true", help="also over uvicorn (ping vs pair)")
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()
    result = asyncio.run(main(arguments))
    print(json.dumps(result["summary"], indent=2))
    if arguments.json:
        arguments.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
