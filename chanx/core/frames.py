"""`FrameRunner`: a connection's client frames, each in its own task, one after another.

Every frame runs as its own `asyncio.Task` with its own copy of the connection's context,
so a handler's `asyncio.timeout()`, AnyIO cancel scopes, `asyncio.current_task()` and
context variables belong to that frame alone: a timeout cancels the frame, never the
connection, and a `ContextVar` set while handling one frame is not seen by the next.

Frames run strictly in arrival order: the next one starts when the previous one is done.
Frames that arrive meanwhile wait in a bounded backlog; when it is full the serving loop
stops reading the socket (`wait_for_room()`), so TCP slows the client down instead of the
server dropping or closing it.

On Python 3.12+ a frame's task is started eagerly (it runs synchronously until its first
suspension, inside its own task), so a frame whose handler never suspends costs about what
a plain call would. On 3.11 the task is scheduled on the next loop iteration.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
import sys
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

__all__ = ["FrameRunner"]

logger = logging.getLogger("chanx.consumer")

T = TypeVar("T")

EAGER = sys.version_info >= (3, 12)
"""Whether frame tasks start eagerly on this Python."""


class FrameRunner(Generic[T]):
    """Runs `serve(frame)` for each submitted frame, each in its own task, in order.

    Args:
        serve: Coroutine function handling one frame; it should not raise.
        limit: How many frames may wait while one is in progress.
        context: The connection's context; each frame runs in a copy of it (default: a
            copy of the current context).
    """

    __slots__ = ("_backlog", "_context", "_limit", "_loop", "_room", "_serve", "_task")

    def __init__(
        self,
        serve: Callable[[T], Coroutine[Any, Any, None]],
        limit: int,
        context: contextvars.Context | None = None,
    ) -> None:
        self._serve = serve
        self._limit = limit
        self._context = context if context is not None else contextvars.copy_context()
        self._loop = asyncio.get_running_loop()
        self._backlog: collections.deque[T] = collections.deque()
        self._task: asyncio.Task[None] | None = None
        self._room: asyncio.Future[None] | None = None

    @property
    def busy(self) -> bool:
        """Whether a frame is in progress."""
        return self._task is not None

    @property
    def pending(self) -> int:
        """Frames waiting behind the one in progress."""
        return len(self._backlog)

    @property
    def full(self) -> bool:
        """Whether the backlog is at its limit (the serving loop should stop reading)."""
        return len(self._backlog) >= self._limit

    def submit(self, frame: T) -> None:
        """Run `frame` now if idle, else queue it (call only while not `full`)."""
        if self._task is not None:
            self._backlog.append(frame)
        else:
            self._start(frame, eager=EAGER)

    async def wait_for_room(self) -> None:
        """Wait until the backlog has room again."""
        while len(self._backlog) >= self._limit:
            if self._room is None or self._room.done():
                self._room = self._loop.create_future()
            await self._room

    async def finish(self, timeout: float) -> None:
        """Drop the backlog and let the frame in progress finish, for at most `timeout` s."""
        self._backlog.clear()
        task = self._task
        if task is not None:
            await asyncio.wait((task,), timeout=timeout)

    async def cancel(self) -> None:
        """Drop the backlog, cancel the frame in progress and wait until it has stopped."""
        self._backlog.clear()
        task = self._task
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait((task,))

    def _start(self, frame: T, eager: bool) -> None:
        context = self._context.copy()
        if eager:  # pragma: no cover - exercised on 3.12+
            task: asyncio.Task[None] = asyncio.Task(
                self._run(frame),
                loop=self._loop,
                context=context,
                eager_start=True,  # type: ignore[call-arg]
            )
        else:
            task = self._loop.create_task(self._run(frame), context=context)
        if not task.done():
            self._task = task

    async def _run(self, frame: T) -> None:
        try:
            await self._serve(frame)
        except Exception:
            logger.exception("serving a client frame failed")
        finally:
            self._finished()

    def _finished(self) -> None:
        """Inside the frame's task, as it ends: start the next frame, make room."""
        self._task = None
        if self._backlog:
            # Not eagerly: an eager start here would nest the next frame inside this one.
            self._start(self._backlog.popleft(), eager=False)
        room = self._room
        if room is not None and not room.done() and len(self._backlog) < self._limit:
            room.set_result(None)
