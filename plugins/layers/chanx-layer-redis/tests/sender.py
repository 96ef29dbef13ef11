"""Sends events to the room of the two-process app from outside any server, then exits.

``python sender.py MODE COUNT CHANNEL`` (environment as for `twoproc_app`). Every mode sends
COUNT events ``<mode>-<n>`` to the room and one ``<mode>-direct`` event to CHANNEL, then exits
at once: nothing may be lost on the way out.

- ``sync``: a plain script calling the ``_sync`` twins one after another (no event loop).
- ``worker``: a Celery-like worker: four threads take tasks off a queue, each task calls
  the ``_sync`` twins; the main thread waits for the queue and exits.
- ``async``: one ``asyncio.run``: ``await send_event``, ``await broadcast_event`` COUNT
  times, then ``await close_layers()`` at once.
"""

from __future__ import annotations

import asyncio
import queue
import sys
import threading
from collections.abc import Callable

from twoproc_app import Poke, Room

from chanx.layers import close_layers


def sync(count: int, channel: str) -> None:
    for n in range(count):
        Room.broadcast_event_sync(Poke(payload=f"sync-{n}"))
    Room.send_event_sync(Poke(payload="sync-direct"), channel)


def worker(count: int, channel: str) -> None:
    tasks: queue.Queue[Callable[[], None]] = queue.Queue()
    failures: list[BaseException] = []

    def work() -> None:
        while True:
            task = tasks.get()
            try:
                task()
            except BaseException as exc:  # a task failure must fail the script
                failures.append(exc)
            finally:
                tasks.task_done()

    for _ in range(4):
        threading.Thread(target=work, daemon=True).start()
    for n in range(count):
        tasks.put(lambda n=n: Room.broadcast_event_sync(Poke(payload=f"worker-{n}")))
    tasks.put(lambda: Room.send_event_sync(Poke(payload="worker-direct"), channel))
    tasks.join()
    if failures:
        raise failures[0]


async def send_async(count: int, channel: str) -> None:
    await Room.send_event(Poke(payload="async-direct"), channel)
    for n in range(count):
        await Room.broadcast_event(Poke(payload=f"async-{n}"))
    assert await close_layers() == 0


if __name__ == "__main__":
    mode, count, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if mode == "async":
        asyncio.run(send_async(count, target))
    else:
        {"sync": sync, "worker": worker}[mode](count, target)
    print("sent", flush=True)
