"""Graceful shutdown for Starlette/FastAPI applications serving chanx consumers.

```python
from chanx.fast_channels.lifespan import lifespan, with_lifespan

app = FastAPI(lifespan=lifespan)                 # nothing else to run at startup/shutdown
app = FastAPI(lifespan=with_lifespan(my_own))    # around an existing lifespan
```

At shutdown, `shutdown()` lets handlers that are running finish (up to the grace period),
closes every open connection with 1001 (going away), then closes the channel layers.

Under uvicorn, the server itself closes open WebSockets with 1012 (service restart) *before*
the application's lifespan shutdown runs; chanx treats that 1012 as a shutdown too: the
running handler gets the grace period to finish before it is cancelled, and a client that
does not read has its socket reset once the grace is over (`chanx.core.transport`), so
uvicorn's "Waiting for connections to close" ends. `shutdown()` then finds no connection left
and only closes the layers. Servers that run the lifespan shutdown
first (and code that calls `shutdown()` itself) get the 1001 close described above.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from chanx.conf import settings
from chanx.core.close_codes import CloseCode
from chanx.core.watchdog import live_connections

__all__ = ["lifespan", "shutdown", "with_lifespan"]

Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


async def shutdown(grace: float | None = None, *, close_layers: bool = True) -> int:
    """Close this event loop's chanx connections with 1001, after their handlers finish.

    Args:
        grace: Seconds running handlers may take (default: the `shutdown_grace` setting).
        close_layers: Also close every channel layer (`chanx.layers.close_layers()`).

    Returns:
        How many connections were closed.
    """
    grace = settings.shutdown_grace if grace is None else grace
    deadline = time.monotonic() + grace
    connections = live_connections()
    for connection in connections:
        frames = connection.frames
        if frames is not None:
            await frames.finish(max(0.0, deadline - time.monotonic()))
    closes = [
        asyncio.ensure_future(connection.close(CloseCode.GOING_AWAY, "server shutting down"))
        for connection in connections
    ]
    if closes:  # a client that does not read cannot block shutdown
        _, pending = await asyncio.wait(closes, timeout=max(0.5, deadline - time.monotonic()))
        for task in pending:
            task.cancel()
    if close_layers:
        from chanx.layers import close_layers as close_all

        with contextlib.suppress(Exception):
            await close_all()
    return len(connections)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """A Starlette/FastAPI `lifespan` that runs `shutdown()` when the application stops."""
    try:
        yield
    finally:
        await shutdown()


def with_lifespan(inner: Lifespan) -> Lifespan:
    """Wrap an existing `lifespan`: `shutdown()` runs before `inner` tears down.

    Handlers finishing within the grace period can still use what `inner` set up (a
    database pool, a client session).
    """

    @asynccontextmanager
    async def wrapped(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as state:
            try:
                yield state
            finally:
                await shutdown()

    return wrapped
