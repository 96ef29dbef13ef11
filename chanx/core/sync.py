"""Running chanx's async event API from synchronous code (views, tasks, commands)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from chanx.core.process import state

__all__ = ["refuse_inside_event_loop", "remember_loop", "run_sync", "serving_loop"]

T = TypeVar("T")


def remember_loop() -> None:
    """Record the running loop as the one serving WebSocket connections in this process."""
    state.home_loop = asyncio.get_running_loop()


def serving_loop() -> asyncio.AbstractEventLoop | None:
    """The loop serving WebSocket connections in this process, if it is running."""
    loop = state.home_loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        return loop
    return None


def refuse_inside_event_loop() -> None:
    """Raise if called from a running event loop, where the sync twins would deadlock."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "this is the synchronous twin, called from async code; await the async method "
        "(for example `await Consumer.broadcast_event(...)`) instead"
    )


def run_sync(make: Callable[[], Coroutine[Any, Any, T]], *, timeout: float = 30.0) -> T:
    """Run the coroutine made by `make` to completion from synchronous code.

    When a loop in this process serves connections (another thread, e.g. a sync FastAPI
    endpoint running in the thread pool), the coroutine runs on that loop, so in-process
    layers and their waiting consumers are reached. Otherwise (a script, a task worker) it
    runs on a fresh loop of its own.

    Raises:
        RuntimeError: Called from inside a running event loop; use the async method there.
        TimeoutError: The serving loop did not finish the call within `timeout` seconds.
    """
    refuse_inside_event_loop()
    loop = serving_loop()
    if loop is not None:
        future = asyncio.run_coroutine_threadsafe(make(), loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(
                f"the event loop did not finish the call within {timeout} s"
            ) from None
    return asyncio.run(make())
