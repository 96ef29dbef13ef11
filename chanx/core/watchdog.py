"""The slow-reader watchdog, and the registry of live connections.

A client that stops reading makes the server's sends block (uvicorn's `send()` waits while
the transport's write buffer is over its high-water mark). Wrapping every send in a timeout
would cost time on every frame, so `Connection.send` only stamps `send_since` before it
awaits the transport and clears it after. One task per event loop wakes up a few times a
second and aborts (`Connection.abort`) every connection whose send has been blocked longer
than its `send_timeout`, and aborts the server's transport (`chanx.core.transport`) so the
socket is released at once; the serving loop takes that cancellation back, cleans up (leaves
its groups) and returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import cast

from chanx.core.close_codes import CloseCode
from chanx.core.connection import Connection
from chanx.core.process import state
from chanx.core.transport import locate, release, watch_buffer

__all__ = ["Watchdog", "live_connections", "stop_watchdog", "unwatch", "watch"]

logger = logging.getLogger("chanx.consumer")

_MAX_TICK = 0.5
_MIN_TICK = 0.02


class Watchdog:
    """One event loop's live connections and the task that watches their sends."""

    __slots__ = ("__weakref__", "closing", "live", "task", "tick")

    def __init__(self) -> None:
        self.live: dict[Connection, tuple[float, float]] = {}
        """Each live connection and its `send_timeout` and `shutdown_grace`."""
        self.closing: dict[Connection, float] = {}
        """Blocked connections whose transport the server is closing, and since when."""
        self.task: asyncio.Task[None] | None = None
        self.tick = _MAX_TICK

    async def run(self) -> None:
        try:
            while self.live:
                await asyncio.sleep(self.tick)
                now = time.monotonic()
                live = self.live
                # The names only: a list of (connection, limits) pairs would allocate one
                # object per connection on every tick (see `GroupTable.in_turn` on why).
                for connection in list(live):
                    since = connection.send_since
                    if since:
                        limits = live.get(connection)
                        if limits is None:  # it left during this tick
                            continue
                        timeout, grace = limits
                        if now - since > timeout:
                            _abort_slow(connection, now - since)
                        elif now - since > self.tick:
                            self._check_closing(connection, now, grace)
                    elif connection.frames is not None and connection.frames.full:
                        limits = live.get(connection)
                        if limits is not None:
                            # not reading (backlog full): it would not see the server's 1012
                            self._check_closing(connection, now, limits[1])
        finally:
            self.task = None

    def _check_closing(self, connection: Connection, now: float, grace: float) -> None:
        """A stuck connection whose transport the server is closing (shutdown) gets `grace`.

        Stuck: its send is blocked, or its backlog is full so it is not reading the
        server's close (1012). After `grace` it is aborted and its socket released.
        """
        noticed = self.closing.get(connection)
        if noticed is None:
            found = locate(connection)
            if found is not None and found.closing():
                self.closing[connection] = now
        elif now - noticed > grace and connection.abort(CloseCode.SERVICE_RESTART):
            release(connection)
            logger.info(
                "connection %s (%s): the server is closing it and it has been stuck for "
                "%.1f s since; released",
                connection.id,
                type(connection.consumer).__qualname__,
                now - noticed,
            )

    def stop(self) -> None:
        """Cancel the watching task."""
        if self.task is not None:
            self.task.cancel()
            self.task = None


def _dog(loop: asyncio.AbstractEventLoop) -> Watchdog | None:
    return cast("Watchdog | None", state.watchdogs.get(loop))


def _current() -> Watchdog:
    loop = asyncio.get_running_loop()
    dog = _dog(loop)
    if dog is None:
        dog = state.watchdogs[loop] = Watchdog()
    return dog


def watch(connection: Connection, send_timeout: float, shutdown_grace: float = 5.0) -> None:
    """Register `connection` with this loop's watchdog."""
    dog = _current()
    dog.live[connection] = (send_timeout, shutdown_grace)
    watch_buffer(connection)
    dog.tick = max(_MIN_TICK, min(dog.tick, _MAX_TICK, send_timeout / 4))
    if dog.task is None:
        dog.task = asyncio.get_running_loop().create_task(dog.run(), name="chanx-watchdog")


def unwatch(connection: Connection) -> None:
    """Forget `connection` (at the start of its cleanup: no abort may arrive after this)."""
    dog = _dog(asyncio.get_running_loop())
    if dog is not None:
        dog.live.pop(connection, None)
        dog.closing.pop(connection, None)
        if not dog.live:
            dog.tick = _MAX_TICK
            dog.stop()


def live_connections() -> list[Connection]:
    """The connections open on the current event loop."""
    dog = _dog(asyncio.get_running_loop())
    return list(dog.live) if dog is not None else []


def _abort_slow(connection: Connection, stalled: float) -> None:
    if connection.abort(CloseCode.SLOW_CONSUMER):
        release(connection)  # the server would wait for the unread bytes to drain, forever
        state.slow_consumer_closes += 1
        state.slow_warnings.warning(
            "aborted a slow consumer: %s did not read for %.1f s (%d so far)",
            type(connection.consumer).__qualname__,
            stalled,
            state.slow_consumer_closes,
        )


async def stop_watchdog() -> None:
    """Stop this loop's watchdog task (it also stops by itself when no connection is left)."""
    dog = _dog(asyncio.get_running_loop())
    state.watchdogs.pop(asyncio.get_running_loop(), None)
    if dog is not None and dog.task is not None:
        task = dog.task
        dog.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await task
