"""Open-loop burst probe for the in-memory layer (run by hand; not collected by pytest).

    python tests/layers/burst_probe.py [loop] [senders10] [senders100] [tasks]

500 broadcasts go to 100 members at the default capacity while every member's receiver
encodes each message and then suspends `hops - 1` more times (a websocket send that yields).
Senders never wait for receivers: `loop` is one task broadcasting back to back, `sendersN` is N
such tasks sharing the 500 broadcasts, `tasks` starts one task per broadcast at once. Prints the
deliveries lost to full channels. docs/channel-layers.md quotes the results.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from chanx.layers import InMemoryChannelLayer

BROADCASTS, MEMBERS = 500, 100


async def run(mode: str, hops: int) -> tuple[int, float]:
    layer = InMemoryChannelLayer()
    total, received = BROADCASTS * MEMBERS, 0
    finished = asyncio.Event()

    async def receiver(channel: str) -> None:
        nonlocal received
        while True:
            json.dumps(await layer.receive(channel))
            for _ in range(hops - 1):
                await asyncio.sleep(0)
            received += 1
            if received + layer.stats.dropped_full >= total:
                finished.set()

    channels = [await layer.new_channel() for _ in range(MEMBERS)]
    for channel in channels:
        await layer.group_add("room", channel)
    tasks = [asyncio.create_task(receiver(channel)) for channel in channels]
    await asyncio.sleep(0)
    message = {"type": "chat.message", "payload": {"text": "hello"}}

    async def sender(count: int) -> None:
        for _ in range(count):
            await layer.group_send("room", message)

    started = time.perf_counter()
    if mode == "tasks":
        await asyncio.gather(*(layer.group_send("room", message) for _ in range(BROADCASTS)))
    else:
        senders = int(mode.removeprefix("senders") or 1) if mode != "loop" else 1
        await asyncio.gather(*(sender(BROADCASTS // senders) for _ in range(senders)))
    try:
        await asyncio.wait_for(finished.wait(), 30)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return layer.stats.dropped_full, time.perf_counter() - started


async def main(modes: list[str]) -> None:
    total = BROADCASTS * MEMBERS
    for mode in modes:
        for hops in (1, 2, 3, 5):
            lost, elapsed = await run(mode, hops)
            print(
                f"{mode:<10} hops={hops}  lost {lost:>6}/{total} ({100 * lost / total:4.1f}%)"
                f"  {elapsed * 1e3:5.0f} ms"
            )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:] or ["loop", "senders10", "senders100", "tasks"]))
