"""`FrameRunner`: a connection's client frames, each in its own task, one after another.

Every frame runs as its own `asyncio.Task` with its own copy of the connection's context,
so a handler's `asyncio.timeout()`, AnyIO cancel scopes, `asyncio.current_task()` and
context variables belong to that frame alone: a timeout cancels the frame, never the
connection, and a `ContextVar` set while handling one frame is not seen by the next.

Frames run strictly in arrival order: the next one starts when the previous one is done.
Frames that arrive meanwhile wait in a bounded backlog; when it is full the serving loop
stops reading the socket (`wait_for_room()`), so TCP slows the client down instead of the
server dropping or closing it. It still reads one message a second, so that a client that
leaves while a handler hangs is noticed; a client that keeps sending while a handler makes no
progress long enough to fill the backlog twice over (`overfull`) is closed with 4429.

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
        self._backlog: collections.deque[T] | None = None  # created by the first wait
        self._task: asyncio.Task[None] | None = None
        self._room: asyncio.Future[None] | None = None

    @property
    def busy(self) -> bool:
        """Whether a frame is in progress."""
        return self._task is not None

    @property
    def pending(self) -> int:
        """Frames waiting behind the one in progress."""
        return len(self._backlog) if self._backlog is not None else 0

    @property
    def full(self) -> bool:
        """Whether the backlog is at its limit (the serving loop should stop reading)."""
        return self._backlog is not None and len(self._backlog) >= self._limit

    def submit(self, frame: T) -> None:
        """Run `frame` now if idle, else queue it (call only while not `full`)."""
        if self._task is not None:
            if self._backlog is None:
                self._backlog = collections.deque()
            self._backlog.append(frame)
        else:
            self._start(frame, eager=EAGER)

    @property
    def overfull(self) -> bool:
        """Whether the backlog holds twice its limit (frames read while it was full)."""
        return self._backlog is not None and len(self._backlog) >= 2 * self._limit

    async def wait_for_room(self, timeout: float | None = None) -> bool:
        """Wait until the backlog has room again, for at most `timeout` seconds.

        Returns:
            Whether there is room (False: the timeout passed first).
        """
        try:
            async with asyncio.timeout(timeout):
                while self.full:
                    if self._room is None or self._room.done():
                        self._room = self._loop.create_future()
                    await asyncio.shield(self._room)
        except TimeoutError:
            return False
        return True

    async def finish(self, timeout: float) -> None:
        """Drop the backlog and let the frame in progress finish, for at most `timeout` s."""
        self._backlog = None
        task = self._task
        if task is not None:
            await asyncio.wait((task,), timeout=timeout)

    async def cancel(self) -> None:
        """Drop the backlog, cancel the frame in progress and wait until it has stopped."""
        self._backlog = None
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
        if room is not None and not room.done() and not self.full:
            room.set_result(None)
