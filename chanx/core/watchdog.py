"""The slow-consumer watchdog, and the registry of live connections.

A client that stops reading makes the server's sends block (uvicorn's `send()` waits while
the transport's write buffer is over its high-water mark). Wrapping every send in a timeout
would cost time on every frame, so the send path only stamps `consumer._send_since` before
it awaits the transport and clears it after. One task per event loop wakes up a few times a
second, and aborts every connection whose send has been blocked longer than its
`send_timeout`: the connection is marked closed and its serving task is cancelled; the
adapter treats that cancellation as an abort (cleans up, leaves its groups) and returns, and
the server then closes the transport. The client, which is not reading, may only see the TCP
connection drop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any

from chanx.core.close_codes import CloseCode
from chanx.core.safelog import RateLimitedLog

__all__ = ["abort", "aborted_code", "live_connections", "slow_consumer_closes", "unwatch", "watch"]

logger = logging.getLogger("chanx.security")
_slow_log = RateLimitedLog(logger)

slow_consumer_closes = 0
"""Connections aborted as slow consumers in this process."""

_MAX_TICK = 0.5
_MIN_TICK = 0.02


class _Watchdog:
    __slots__ = ("__weakref__", "live", "task", "tick")

    def __init__(self) -> None:
        self.live: dict[Any, tuple[asyncio.Task[Any], float]] = {}
        """Each watched connection: its serving task and its `send_timeout`."""
        self.task: asyncio.Task[None] | None = None
        self.tick = _MAX_TICK

    async def run(self) -> None:
        try:
            while self.live:
                await asyncio.sleep(self.tick)
                now = time.monotonic()
                for consumer, (_task, timeout) in list(self.live.items()):
                    since = consumer._send_since
                    if since and now - since > timeout:
                        _abort_slow(consumer, now - since)
        finally:
            self.task = None


_watchdogs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Watchdog] = (
    weakref.WeakKeyDictionary()
)
_aborted: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _current() -> _Watchdog:
    loop = asyncio.get_running_loop()
    dog = _watchdogs.get(loop)
    if dog is None:
        dog = _watchdogs[loop] = _Watchdog()
    return dog


def watch(consumer: Any, send_timeout: float) -> None:
    """Register `consumer`, served by the current task, with this loop's watchdog."""
    task = asyncio.current_task()
    assert task is not None
    dog = _current()
    dog.live[consumer] = (task, send_timeout)
    dog.tick = max(_MIN_TICK, min(dog.tick, _MAX_TICK, send_timeout / 4))
    if dog.task is None:
        dog.task = asyncio.get_running_loop().create_task(dog.run(), name="chanx-watchdog")


def unwatch(consumer: Any) -> None:
    """Forget `consumer` (at the start of its cleanup: no abort may arrive after this)."""
    dog = _watchdogs.get(asyncio.get_running_loop())
    if dog is not None:
        dog.live.pop(consumer, None)
        if not dog.live:
            dog.tick = _MAX_TICK
            if dog.task is not None:
                dog.task.cancel()
                dog.task = None


def live_connections() -> list[Any]:
    """The connections open on the current event loop."""
    dog = _watchdogs.get(asyncio.get_running_loop())
    return list(dog.live) if dog is not None else []


def abort(consumer: Any, code: int) -> bool:
    """Abort `consumer`'s connection: mark it closed, cancel its serving task.

    Returns:
        False when the connection is not live (already gone or never watched).
    """
    dog = _watchdogs.get(asyncio.get_running_loop())
    entry = dog.live.pop(consumer, None) if dog is not None else None
    if entry is None:
        return False
    task = entry[0]
    from chanx.core.consumer import ConnectionState

    consumer.state = ConnectionState.CLOSED
    _aborted[consumer] = code
    task.cancel()
    return True


def aborted_code(consumer: Any) -> int | None:
    """In the serving task, after a `CancelledError`: the abort's close code, else None.

    When it returns a code, the cancellation has been taken back (`Task.uncancel()`), so the
    task may clean up and return normally.
    """
    code = _aborted.pop(consumer, None)
    if code is not None:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
    return code


def _abort_slow(consumer: Any, stalled: float) -> None:
    global slow_consumer_closes
    if abort(consumer, CloseCode.SLOW_CONSUMER):
        slow_consumer_closes += 1
        _slow_log.warning(
            "aborted a slow consumer: %s did not read for %.1f s (%d so far)",
            type(consumer).__qualname__,
            stalled,
            slow_consumer_closes,
        )


async def stop_watchdog() -> None:
    """Stop this loop's watchdog task (it also stops by itself when no connection is left)."""
    dog = _watchdogs.pop(asyncio.get_running_loop(), None)
    if dog is not None and dog.task is not None:
        dog.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dog.task
