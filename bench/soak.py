"""Soak run: many connections, some never reading, for a bounded time on loopback.

    .venv/bin/python bench/soak.py --connections 2000 --slow 100 --duration 120

A chanx server (uvicorn, websockets-sansio, one process) serves two routes: `/ws/chat`, whose
connections share the group "chat" (small broadcasts, a few per second), and `/ws/bulk`, group
"bulk" (16 KiB broadcasts, 20 per second). `--slow` of the bulk connections complete the
handshake and never read again. The driver measures the server's RSS before connecting
(baseline), with every connection open and idle (memory per connection), at the end of the
traffic phase, after every client left (does memory return to baseline?), and after a second
wave of as many idle connections opened and closed (is what stayed reused?). It reports
broadcasts lost by reading clients, reading clients dropped, and slow readers aborted by the
server (close code 4499 at the server; the client just sees its socket closed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

from servers import free_port

HOST = "127.0.0.1"


# -- server side -------------------------------------------------------------------------


def build_app() -> Any:
    """The soak server's Starlette app (imported in the server process only)."""
    import gc
    from typing import ClassVar, Literal

    import psutil
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route, WebSocketRoute

    import chanx
    from chanx.core import watchdog
    from chanx.core.decorators import event_handler
    from chanx.core.process import state as process_state
    from chanx.fast_channels.lifespan import lifespan
    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.messages.base import BaseMessage

    chanx.configure(send_timeout=5.0)

    class Tick(BaseMessage):
        action: Literal["tick"] = "tick"
        payload: str

    class Chat(AsyncJsonWebsocketConsumer):
        groups: ClassVar[list[str]] = ["chat"]

        @event_handler
        async def on_tick(self, event: Tick) -> Tick:
            return event

    class Bulk(Chat):
        groups: ClassVar[list[str]] = ["bulk"]

    state: dict[str, Any] = {"sent": {"chat": 0, "bulk": 0}, "tasks": []}

    async def pump(group: str, rate: float, size: int) -> None:
        filler = "x" * size
        while True:
            await Chat.broadcast_event(Tick(payload=filler), [group])
            state["sent"][group] += 1
            await asyncio.sleep(1 / rate)

    async def start(request: Any) -> JSONResponse:
        state["tasks"] = [
            asyncio.create_task(pump("chat", float(request.query_params["chat_rate"]), 64)),
            asyncio.create_task(pump("bulk", float(request.query_params["bulk_rate"]), 16384)),
        ]
        return JSONResponse({"ok": True})

    async def stop(request: Any) -> JSONResponse:
        for task in state["tasks"]:
            task.cancel()
        return JSONResponse(state["sent"])

    async def stats(request: Any) -> JSONResponse:
        if request.query_params.get("gc"):
            gc.collect()
        return JSONResponse(
            {
                "rss": psutil.Process().memory_info().rss,
                "live": len(watchdog.live_connections()),
                "slow_closes": process_state.slow_consumer_closes,
                "sent": state["sent"],
            }
        )

    return Starlette(
        routes=[
            WebSocketRoute("/ws/chat", Chat.as_asgi()),
            WebSocketRoute("/ws/bulk", Bulk.as_asgi()),
            Route("/start", start),
            Route("/stop", stop),
            Route("/stats", stats),
        ],
        lifespan=lifespan,
    )


def serve(port: int) -> None:
    import uvicorn

    uvicorn.run(
        build_app(),
        host=HOST,
        port=port,
        ws="websockets-sansio",
        log_level="warning",
        backlog=4096,
    )


# -- driver ------------------------------------------------------------------------------


def http(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


class Reader:
    """A well-behaved client counting the broadcasts it receives."""

    def __init__(self) -> None:
        self.received = 0
        self.dropped = False
        self.ws: Any = None
        self.task: asyncio.Task[None] | None = None

    async def run(self) -> None:
        import websockets

        try:
            async for _ in self.ws:
                self.received += 1
        except websockets.ConnectionClosed:
            pass
        if not self.closing:
            self.dropped = True

    closing = False


async def open_reader(url: str) -> Reader:
    import websockets

    reader = Reader()
    reader.ws = await websockets.connect(url, open_timeout=30, max_size=None, compression=None)
    reader.task = asyncio.ensure_future(reader.run())
    return reader


async def open_silent(port: int, path: str) -> socket.socket:
    """Handshake, then never read again."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await loop.sock_connect(sock, (HOST, port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)
    return sock


async def wait_idle(port: int) -> None:
    """Until the server has cleaned up every connection (bounded), plus two seconds."""
    async with asyncio.timeout(60):
        while http(port, "/stats")["live"]:  # noqa: ASYNC110 - state of another process
            await asyncio.sleep(0.5)
    await asyncio.sleep(2)


async def drive(args: argparse.Namespace, port: int) -> dict[str, Any]:
    mib = 1024 * 1024
    base = http(port, "/stats?gc=1")
    chat_url = f"ws://{HOST}:{port}/ws/chat"
    bulk_url = f"ws://{HOST}:{port}/ws/bulk"
    n_chat = args.connections - args.bulk_readers - args.slow
    started = time.monotonic()
    readers: list[Reader] = []
    for start in range(0, n_chat, 100):
        batch = [open_reader(chat_url) for _ in range(min(100, n_chat - start))]
        readers += await asyncio.gather(*batch)
    bulk = list(await asyncio.gather(*[open_reader(bulk_url) for _ in range(args.bulk_readers)]))
    silent = [await open_silent(port, "/ws/bulk") for _ in range(args.slow)]
    connect_seconds = time.monotonic() - started
    await asyncio.sleep(2)
    idle = http(port, "/stats?gc=1")
    per_connection = (idle["rss"] - base["rss"]) / args.connections
    http(port, f"/start?chat_rate={args.chat_rate}&bulk_rate={args.bulk_rate}")
    peak = idle["rss"]
    deadline = time.monotonic() + args.duration
    while time.monotonic() < deadline:
        await asyncio.sleep(min(5, max(0.0, deadline - time.monotonic())))
        peak = max(peak, http(port, "/stats")["rss"])
    sent = http(port, "/stop")
    await asyncio.sleep(3)  # let the last broadcasts arrive
    during = http(port, "/stats")
    everyone = readers + bulk
    lost_chat = sum(sent["chat"] - r.received for r in readers if not r.dropped)
    lost_bulk = sum(sent["bulk"] - r.received for r in bulk if not r.dropped)
    dropped = sum(r.dropped for r in everyone)
    for reader in everyone:
        reader.closing = True
    await asyncio.gather(*(r.ws.close() for r in everyone), return_exceptions=True)
    for sock in silent:
        sock.close()
    await wait_idle(port)
    after = http(port, "/stats?gc=1")
    # a second wave of idle connections: memory kept after the first is reused, not leaked
    wave: list[Reader] = []
    for start in range(0, args.connections, 100):
        batch = [open_reader(chat_url) for _ in range(min(100, args.connections - start))]
        wave += await asyncio.gather(*batch)
    for reader in wave:
        reader.closing = True
    await asyncio.gather(*(r.ws.close() for r in wave), return_exceptions=True)
    await wait_idle(port)
    second = http(port, "/stats?gc=1")
    return {
        "connections": args.connections,
        "slow_readers": args.slow,
        "duration_s": args.duration,
        "connect_s": round(connect_seconds, 1),
        "broadcasts": sent,
        "deliveries_expected": sent["chat"] * len(readers) + sent["bulk"] * len(bulk),
        "lost_chat": lost_chat,
        "lost_bulk": lost_bulk,
        "readers_dropped": dropped,
        "slow_aborted": during["slow_closes"],
        "rss_baseline_mib": round(base["rss"] / mib, 1),
        "rss_idle_mib": round(idle["rss"] / mib, 1),
        "kib_per_connection": round(per_connection / 1024, 1),
        "rss_peak_mib": round(peak / mib, 1),
        "rss_after_mib": round(after["rss"] / mib, 1),
        "after_minus_baseline_mib": round((after["rss"] - base["rss"]) / mib, 1),
        "rss_after_second_wave_mib": round(second["rss"] / mib, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--slow", type=int, default=100, help="never-reading connections")
    parser.add_argument("--bulk-readers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of traffic")
    parser.add_argument("--chat-rate", type=float, default=2.0, help="chat broadcasts/s")
    parser.add_argument("--bulk-rate", type=float, default=20.0, help="bulk broadcasts/s")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the result to this file")
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    port = free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        for _ in range(100):
            try:
                http(port, "/stats")
                break
            except OSError:
                time.sleep(0.1)
        result = asyncio.run(asyncio.wait_for(drive(args, port), args.duration + 600))
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
