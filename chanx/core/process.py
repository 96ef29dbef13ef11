"""`ProcessState`: what chanx's runtime keeps per process, in one object with one `reset()`.

- the live connections of each event loop, and that loop's slow-reader watchdog;
- per-user connection counts (`max_connections_per_user`);
- the loop serving WebSocket connections (where the `_sync` event twins deliver);
- counters and the rate-limited warning logs of the protections.

Tests call `chanx.core.process.state.reset()` (it also resets `chanx.conf.settings`) instead of
clearing module globals piecemeal.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Protocol

from chanx.core.safelog import RateLimitedLog

__all__ = ["ProcessState", "state"]

security_log = logging.getLogger("chanx.security")


class Watcher(Protocol):
    """What the process state needs of a loop's watchdog (`chanx.core.watchdog.Watchdog`)."""

    def stop(self) -> None:
        """Cancel the watching task."""


class ProcessState:
    """The runtime's process-wide state (see the module docstring).

    Attributes:
        watchdogs: Each event loop's watchdog (which also lists its live connections).
        user_connections: Open connections per user key, for `max_connections_per_user`.
        home_loop: The loop that serves WebSocket connections in this process.
        slow_consumer_closes: Connections aborted as slow readers (4499).
        origin_warnings: The rate-limited log of refused origins.
        slow_warnings: The rate-limited log of slow-reader aborts.
        missing_layers: Consumers already reported as needing a layer they do not have.
    """

    def __init__(self) -> None:
        self.watchdogs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Watcher] = (
            weakref.WeakKeyDictionary()
        )
        self.user_connections: dict[Any, int] = {}
        self.home_loop: asyncio.AbstractEventLoop | None = None
        self.slow_consumer_closes = 0
        self.origin_warnings = RateLimitedLog(security_log)
        self.slow_warnings = RateLimitedLog(security_log)
        self.missing_layers: set[str] = set()

    def reset(self) -> None:
        """Forget everything (for tests), including `chanx.configure()` values."""
        from chanx import conf

        for dog in list(self.watchdogs.values()):
            dog.stop()
        self.watchdogs.clear()
        self.user_connections.clear()
        self.home_loop = None
        self.slow_consumer_closes = 0
        self.origin_warnings.reset()
        self.slow_warnings.reset()
        self.missing_layers.clear()
        conf.reset()


state = ProcessState()
"""The process's runtime state."""
