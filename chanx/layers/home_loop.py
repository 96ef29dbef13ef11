"""The event loop a process-local layer lives on, and calls from other threads brought to it.

A process-local layer's channels, waiters and listeners belong to one event loop: the
server's. Code in another thread with its own loop (``async_to_sync`` from a plain thread, a
scheduler thread running ``asyncio.run``) must not wake a waiter or run a listener from there:
the server's loop would not notice, and a listener would write to a socket from the wrong
thread. `on_home_loop` runs such a call on the layer's loop and waits for it there.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["HomeLoop", "on_home_loop"]


class HomeLoop:
    """The loop a layer's receivers run on: the first one that used it and still runs."""

    __slots__ = ("loop",)

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    def claim(self) -> None:
        """Make the running loop the home loop (a receiver or listener registers here)."""
        self.loop = asyncio.get_running_loop()

    def elsewhere(self) -> asyncio.AbstractEventLoop | None:
        """The home loop if the caller runs on another, live one; None to run here."""
        running = asyncio.get_running_loop()
        home = self.loop
        if home is running:
            return None
        if home is None or home.is_closed() or not home.is_running():
            self.loop = running  # no live home: this loop becomes it
            return None
        return home


F = TypeVar("F", bound=Callable[..., Any])


def on_home_loop(method: F) -> F:
    """Run the layer method on the layer's home loop when called from another thread's loop.

    `method` is an ``async def`` of a layer with a `HomeLoop` in ``self._home``.
    """

    @functools.wraps(method)
    async def run(self: Any, /, *args: Any, **kwargs: Any) -> Any:
        home: asyncio.AbstractEventLoop | None = self._home.elsewhere()
        if home is None:
            return await method(self, *args, **kwargs)
        future = asyncio.run_coroutine_threadsafe(method(self, *args, **kwargs), home)
        return await asyncio.wrap_future(future)

    return cast("F", run)
