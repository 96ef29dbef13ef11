"""One client process of the uvicorn fan-out benchmark (see `fanout_uvicorn.py`).

Opens `--count` connections to `--url` and prints ``connected``; the sending client (`--send
N`) then waits for a line on stdin and broadcasts a probe; every client prints ``ready`` once
each of its connections got the probe (so all are in the room), then counts frames until every
connection has `--expected` or none arrived for `--stall` seconds. After a second line on
stdin the sender's first connection sends N ``say`` messages, at most `--window` ahead of its
own copies (the sender is a member too). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect


async def count(ws: ClientConnection, expected: int, state: dict[str, Any]) -> None:
    for _ in range(expected):
        await ws.recv()
        state["received"] += 1
        state["last"] = time.time()


async def main(options: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    clients = []
    for _ in range(options.count):  # one at a time: a burst of connects is not measured here
        clients.append(await connect(options.url, max_queue=None, compression=None))
    print("connected", flush=True)
    # A probe broadcast (-1) proves every connection, in both servers, is in the room.
    if options.send:
        await loop.run_in_executor(None, sys.stdin.readline)
        await clients[0].send('{"action": "say", "payload": -1}')
    async with asyncio.timeout(60):
        for ws in clients:
            assert '"payload":-1' in str(await ws.recv()).replace(" ", "")
    state: dict[str, Any] = {"received": 0, "last": 0.0, "start": 0.0}
    counters = [asyncio.create_task(count(ws, options.expected, state)) for ws in clients]
    print("ready", flush=True)
    if options.send:
        await loop.run_in_executor(None, sys.stdin.readline)
        state["start"] = time.time()
        sender = clients[0]
        for n in range(options.send):
            while n - state["received"] / options.count >= options.window:  # noqa: ASYNC110
                await asyncio.sleep(0.001)
            await sender.send(f'{{"action": "say", "payload": {n}}}')
    seen, quiet = -1, time.monotonic()
    while state["received"] < options.count * options.expected:
        if state["received"] != seen:
            seen, quiet = state["received"], time.monotonic()
        elif time.monotonic() - quiet > options.stall:
            break
        await asyncio.sleep(0.05)
    for task in counters:
        task.cancel()
    print(json.dumps({k: state[k] for k in ("received", "last", "start")}), flush=True)
    for ws in clients:
        await ws.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--expected", type=int, required=True)
    parser.add_argument("--send", type=int, default=0)
    parser.add_argument("--window", type=int, default=64)
    parser.add_argument("--stall", type=float, default=5.0)
    asyncio.run(main(parser.parse_args()))
