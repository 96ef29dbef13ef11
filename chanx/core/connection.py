"""`Connection`: one WebSocket connection's state, and the only ways to change it.

A consumer instance serves exactly one connection; its `Connection` holds what the
connection *is* (connecting, open, closed), the ASGI `send` it writes to, and the few
things the protections need to act on it:

- `send_since`: when the send in progress started (read by the slow-reader watchdog);
- `abort(code)`: end a connection whose serving task is stuck (the watchdog's only action);
- `arm_expiry(...)`: the credential-expiry timer;
- `user_slot`: the per-user connection slot it holds.

Guards (origin, limits, watchdog, expiry) talk to this object, never to the consumer's
private attributes. It imports nothing above `chanx.core`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import time
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator, MutableMapping
from typing import Any, Literal

from chanx.core.close_codes import CloseCode, clip_reason, for_server
from chanx.core.codec import Frame

__all__ = ["Connection", "ConnectionState"]

logger = logging.getLogger("chanx.consumer")

Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]

_ids = itertools.count(1)


class ConnectionState(enum.Enum):
    """Where a connection is in its life."""

    CONNECTING = "connecting"
    OPEN = "open"
    CLOSED = "closed"


class Connection:
    """The state of one WebSocket connection (see the module docstring).

    Args:
        send: The ASGI `send` callable of the connection.
        consumer: The consumer serving it (named in log lines and by `live_connections()`).
    """

    __slots__ = (
        "_expiry",
        "_expiry_close",
        "_send",
        "aborted",
        "close_code",
        "consumer",
        "frames",
        "gate",
        "id",
        "send_since",
        "state",
        "task",
        "user_slot",
    )

    def __init__(self, send: Send, consumer: Any = None) -> None:
        self._send = send
        self.consumer = consumer
        self.id = next(_ids)
        """A number naming this connection in log records (unique within the process)."""
        self.state = ConnectionState.CONNECTING
        self.send_since = 0.0
        """When the send in progress started (`time.monotonic()`); 0.0 when none is."""
        self.aborted: int | None = None
        """The close code of an abort (`abort()`), else None."""
        self.close_code: int | None = None
        """The code the server closed (or aborted) the connection with, else None."""
        self.task: asyncio.Task[Any] | None = None
        """The task serving the connection (cancelled by `abort()`)."""
        self.gate: asyncio.Event | None = None
        """Sends wait while it is clear (set on servers that never block a send: daphne)."""
        self.frames: Any = None
        """The connection's client-frame runner, while it reads frames."""
        self.user_slot: Any = None
        """The per-user slot key this connection holds, if any."""
        self._expiry: asyncio.TimerHandle | None = None
        self._expiry_close: asyncio.Future[None] | None = None

    @property
    def open(self) -> bool:
        """Whether frames may be sent."""
        return self.state is ConnectionState.OPEN

    async def accept(self, subprotocol: str | None = None) -> None:
        """Complete the handshake; from now on frames may be sent."""
        message: Message = {"type": "websocket.accept"}
        if subprotocol is not None:
            message["subprotocol"] = subprotocol
        await self._send(message)
        if self.state is ConnectionState.CONNECTING:
            self.state = ConnectionState.OPEN

    async def send(self, frame: Frame) -> None:
        """Send one frame; nothing happens unless the connection is open."""
        if self.state is not ConnectionState.OPEN:
            return
        self.send_since = time.monotonic()
        try:
            gate = self.gate
            if gate is not None and not gate.is_set():
                await gate.wait()
                if not self.open:  # closed while it waited
                    return
            if type(frame) is str:
                await self._send({"type": "websocket.send", "text": frame})
            else:
                await self._send({"type": "websocket.send", "bytes": frame})
        except OSError:
            self._client_left()
        finally:
            self.send_since = 0.0

    def send_now(self, frame: Frame) -> Literal[True] | asyncio.Task[None]:
        """Send one frame within this call when the server's `send` does not suspend.

        The server's send coroutine is driven by hand: when it completes without suspending
        (the transport has room: the usual case), no task switch happens at all. When it
        suspends (the client reads slowly; the send gate is closed), a task finishes it,
        stamped for the watchdog as `send` is. Use it only for a frame whose sending runs no
        application code (a relayed, pre-encoded frame): only the server's send chain runs
        outside a task of its own.

        Returns:
            True when the frame is sent (or dropped: the connection is not open, the client
            left); else the task still sending it.
        """
        if self.state is not ConnectionState.OPEN:
            return True
        gate = self.gate
        if gate is not None and not gate.is_set():
            return asyncio.get_running_loop().create_task(self.send(frame))
        if type(frame) is str:
            sending = self._send({"type": "websocket.send", "text": frame})
        else:
            sending = self._send({"type": "websocket.send", "bytes": frame})
        if type(sending) is not types.CoroutineType:  # not a native coroutine: await it
            return asyncio.get_running_loop().create_task(self._finish_send(sending))
        coro: Coroutine[Any, Any, None] = sending
        self.send_since = time.monotonic()
        try:
            step = coro.send(None)
        except StopIteration:
            self.send_since = 0.0
            return True
        except OSError:
            self.send_since = 0.0
            self._client_left()
            return True
        except BaseException:
            self.send_since = 0.0
            raise
        return asyncio.get_running_loop().create_task(self._finish_send(_Resumed(coro, step)))

    async def _finish_send(self, sending: Awaitable[None]) -> None:
        """Finish a send `send_now` could not complete within its call."""
        self.send_since = self.send_since or time.monotonic()
        try:
            await sending
        except OSError:
            self._client_left()
        finally:
            self.send_since = 0.0

    def _client_left(self) -> None:
        """A send failed because the client left (ASGI servers raise an OSError, e.g.
        uvicorn's ClientDisconnected): expected, not an error of the application."""
        self.mark_closed()
        logger.debug("%s: a frame to a disconnected client was dropped", _name(self))

    async def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Close the connection (once); nothing is sent after this."""
        if self.state is ConnectionState.CLOSED:
            return
        self.state = ConnectionState.CLOSED
        self.close_code = int(code)
        self.disarm_expiry()
        code = for_server(int(code), self._send)
        self.send_since = time.monotonic()
        try:
            with contextlib.suppress(Exception):  # the peer may be gone already
                await self._send(
                    {"type": "websocket.close", "code": code, "reason": clip_reason(reason)}
                )
        finally:
            self.send_since = 0.0

    def mark_closed(self) -> None:
        """Record that the socket is gone (the client disconnected)."""
        self.state = ConnectionState.CLOSED
        self.disarm_expiry()

    def abort(self, code: int) -> bool:
        """End the connection now: mark it closed and cancel its serving task.

        The serving loop takes the cancellation back (`taken_abort()`), cleans up and
        returns, and the server closes the transport.

        Returns:
            False when there is nothing to abort (already aborted, or no serving task).
        """
        if self.aborted is not None or self.task is None:
            return False
        self.state = ConnectionState.CLOSED
        self.aborted = self.close_code = code
        self.disarm_expiry()
        self.task.cancel()
        return True

    def arm_expiry(
        self, expires_at: float | None, on_expire: Callable[[], Awaitable[None]]
    ) -> None:
        """(Re)schedule `on_expire()` at Unix time `expires_at` (None: no expiry)."""
        self.disarm_expiry()
        if expires_at is None or self.state is ConnectionState.CLOSED:
            return
        delay = max(0.0, float(expires_at) - time.time())
        loop = asyncio.get_running_loop()
        self._expiry = loop.call_later(min(delay, 86400.0 * 365), self._expire, on_expire)

    def disarm_expiry(self) -> None:
        """Cancel the expiry timer, if one is set."""
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _expire(self, on_expire: Callable[[], Awaitable[None]]) -> None:
        self._expiry = None
        self._expiry_close = asyncio.ensure_future(on_expire())


class _Resumed:
    """Awaiting it continues a coroutine that suspended (on `step`) while driven by hand."""

    __slots__ = ("coro", "step")

    def __init__(self, coro: Coroutine[Any, Any, None], step: Any) -> None:
        self.coro = coro
        self.step = step

    def __await__(self) -> Generator[Any, Any, None]:
        coro, step = self.coro, self.step
        while True:
            try:
                value = yield step
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as error:  # a cancellation: the coroutine handles it
                try:
                    step = coro.throw(error)
                except StopIteration:
                    return
            else:
                try:
                    step = coro.send(value)
                except StopIteration:
                    return


def _name(connection: Connection) -> str:
    return type(connection.consumer).__qualname__
