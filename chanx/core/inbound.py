"""`InboundFrames`: serve a connection's client frames one at a time, in arrival order.

The common frame is handled without suspending (validate, call a handler that returns at
once, write the reply). For those, creating a task or passing through a queue would cost
more than the handling itself, so a frame that arrives while nothing is in progress is run
inline, right away, until it first suspends. Only if it does suspend (the handler awaits a
database, a sleep, a slow socket) does the rest of it move into a task, and frames arriving
meanwhile wait in a bounded backlog served by that task. At disconnect, `cancel()` cancels
whatever is still running.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Generic, TypeVar

__all__ = ["InboundFrames"]

logger = logging.getLogger("chanx.consumer")

T = TypeVar("T")


class InboundFrames(Generic[T]):
    """Runs `serve(frame)` for each submitted frame, strictly one after another.

    Args:
        serve: Coroutine function handling one frame; it should not raise.
        limit: How many frames may wait while one is in progress.
    """

    __slots__ = ("_backlog", "_limit", "_serve", "_task")

    def __init__(self, serve: Callable[[T], Coroutine[Any, Any, None]], limit: int) -> None:
        self._serve = serve
        self._limit = limit
        self._backlog: collections.deque[T] = collections.deque()
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        """Whether a frame is in progress (suspended in its task)."""
        return self._task is not None

    def submit(self, frame: T) -> bool:
        """Serve `frame` now if idle, else queue it. False when the backlog is full."""
        if self._task is not None:
            if len(self._backlog) >= self._limit:
                return False
            self._backlog.append(frame)
            return True
        coro = self._serve(frame)
        try:
            pending = coro.send(None)
        except StopIteration:
            return True
        except Exception:
            logger.exception("serving a client frame failed")
            return True
        self._task = asyncio.ensure_future(self._finish(coro, pending))
        return True

    async def finish(self, timeout: float) -> None:
        """Drop the backlog and let the frame in progress finish, for at most `timeout` s."""
        self._backlog.clear()
        task = self._task
        if task is not None:
            await asyncio.wait((task,), timeout=timeout)

    async def cancel(self) -> None:
        """Cancel the frame in progress and drop the backlog; wait until it has stopped."""
        self._backlog.clear()
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _finish(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        try:
            await _Resume(coro, pending)
            while self._backlog:
                await self._serve(self._backlog.popleft())
        except Exception:
            logger.exception("serving a client frame failed")
        finally:
            self._task = None


class _Resume:
    """Awaitable that continues a coroutine which was started by hand and then suspended.

    `pending` is what the coroutine yielded when it suspended (a future, or None for a bare
    yield); it is handed on to the task running this awaitable exactly as the coroutine
    would have, and what the task sends or throws back is passed into the coroutine.
    """

    __slots__ = ("_coro", "_pending")

    def __init__(self, coro: Coroutine[Any, Any, None], pending: Any) -> None:
        self._coro = coro
        self._pending = pending

    def __await__(self) -> Generator[Any, Any, None]:
        coro, pending = self._coro, self._pending
        while True:
            try:
                yield pending
            except BaseException as exc:  # cancellation included: the coroutine decides
                try:
                    pending = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    pending = coro.send(None)
                except StopIteration:
                    return
