"""The server's socket behind a connection, for the few things ASGI cannot say.

ASGI has no message for "drop this connection now". When a client stops reading, the
server's transport holds megabytes it can never deliver, and closing it politely
(`transport.close()`, what servers do when the application returns) waits for that data to
drain, forever: the socket stays ESTABLISHED, and uvicorn's graceful shutdown waits for it.
So chanx finds the transport of the two servers it is tested on and aborts it itself:

- uvicorn (each WebSocket implementation: `websockets-sansio`, `websockets`, `wsproto`): the
  task serving a connection runs the protocol's `run_asgi()`; its protocol holds the asyncio
  transport.
- daphne: the ASGI `send` is `functools.partial(Server.handle_reply, protocol)`; the
  protocol holds the Twisted transport.

`release()` sets `SO_LINGER` to zero before aborting, so the kernel drops the queued bytes
and answers with a reset at once instead of keeping an orphaned socket that retries a zero
window. On any other server (or in a test communicator) nothing is found and nothing
happens: the server keeps its usual behaviour.

On daphne a send never blocks (Twisted buffers without bound), so the slow-reader watchdog
would never see a blocked send and a client that does not read grows the server's memory.
`watch_buffer()` gives the connection a send gate driven by a Twisted streaming producer:
Twisted pauses it when its buffer passes 64 KiB and resumes it when the buffer has drained,
and `Connection.send` waits at the closed gate. That is the outbound budget: what the server
holds for one client is bounded, sends block as on uvicorn, and the watchdog aborts a client
that does not read within `send_timeout`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import struct
from typing import Any

from chanx.core.connection import Connection

__all__ = ["ServerTransport", "locate", "release", "release_if_stuck", "watch_buffer"]

logger = logging.getLogger("chanx.consumer")

_LINGER_RESET = struct.pack("ii", 1, 0)


class ServerTransport:
    """The transport of one connection on a known server.

    Args:
        kind: `asyncio` (uvicorn) or `twisted` (daphne).
        transport: The server's transport object.
        protocol: The server's protocol object owning it.
    """

    __slots__ = ("kind", "protocol", "transport")

    def __init__(self, kind: str, transport: Any, protocol: Any) -> None:
        self.kind = kind
        self.transport = transport
        self.protocol = protocol

    def pending_bytes(self) -> int:
        """Bytes the server still holds for the client (its user-space buffer)."""
        if self.kind == "asyncio":
            return int(self.transport.get_write_buffer_size())
        pending = getattr(self.transport, "_tempDataLen", 0)
        data = getattr(self.transport, "dataBuffer", b"")
        offset = getattr(self.transport, "offset", 0)
        return int(pending) + max(0, len(data) - int(offset))

    def closing(self) -> bool:
        """Whether the server already started closing the transport."""
        if self.kind == "asyncio":
            return bool(self.transport.is_closing())
        return bool(getattr(self.transport, "disconnecting", False))

    def abort(self) -> None:
        """Drop the connection now: reset, discarding whatever is queued."""
        sock: Any = None
        if self.kind == "asyncio":
            sock = self.transport.get_extra_info("socket")
        else:
            with contextlib.suppress(Exception):
                sock = self.transport.getHandle()
        if sock is not None:
            with contextlib.suppress(OSError, AttributeError, TypeError, ValueError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        if self.kind == "asyncio":
            self.transport.abort()
        else:
            self.transport.abortConnection()


def locate(connection: Connection) -> ServerTransport | None:
    """The transport behind `connection` on uvicorn or daphne; None elsewhere."""
    return _daphne(connection) or _uvicorn(connection)


def _daphne(connection: Connection) -> ServerTransport | None:
    send = getattr(connection, "_send", None)
    if not isinstance(send, functools.partial) or not send.args:
        return None
    owner = getattr(send.func, "__self__", None)
    if not type(owner).__module__.startswith("daphne."):
        return None
    protocol = send.args[0]
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "abortConnection"):
        return None
    return ServerTransport("twisted", transport, protocol)


def _uvicorn(connection: Connection) -> ServerTransport | None:
    task = connection.task
    if task is None:
        return None
    frame = getattr(task.get_coro(), "cr_frame", None)
    protocol = frame.f_locals.get("self") if frame is not None else None
    if protocol is None or not type(protocol).__module__.startswith("uvicorn.protocols."):
        return None
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        return None
    return ServerTransport("asyncio", transport, protocol)


def release(connection: Connection) -> bool:
    """Abort the server's transport of `connection`; False when it cannot be found."""
    found = locate(connection)
    if found is None:
        return False
    try:
        found.abort()
    except Exception:
        logger.debug("aborting the transport of connection %s failed", connection.id, exc_info=True)
        return False
    return True


def release_if_stuck(connection: Connection) -> bool:
    """At shutdown: abort the transport if it still holds bytes a client has not taken.

    Called when the serving loop ends after the server's 1012: the server will close the
    transport politely, which never completes while the client does not read.
    """
    found = locate(connection)
    if found is None or found.pending_bytes() == 0:
        return False
    found.abort()
    return True


class _BufferWatch:
    """A Twisted streaming producer: closes its connection's send gate while paused.

    Twisted allows one producer per transport, and daphne's HTTP channel is already
    registered on it (it stops reading while the buffer is full); the watch takes its place
    and passes every call on to it.
    """

    __slots__ = ("gate", "inner")

    def __init__(self, gate: asyncio.Event, inner: Any) -> None:
        self.gate = gate
        self.inner = inner

    def pauseProducing(self) -> None:
        self.gate.clear()
        if self.inner is not None:
            self.inner.pauseProducing()

    def resumeProducing(self) -> None:
        self.gate.set()
        if self.inner is not None:
            self.inner.resumeProducing()

    def stopProducing(self) -> None:
        self.gate.set()
        if self.inner is not None:
            self.inner.stopProducing()


def watch_buffer(connection: Connection) -> bool:
    """On daphne, make sends wait while Twisted's buffer for the client is over its mark.

    Twisted pauses a transport's streaming producer when the transport buffers more than
    64 KiB and resumes it once the buffer has drained; the watch drives the connection's
    send gate (`Connection.gate`) from those calls. A send that waits at the gate is a
    blocked send, as on uvicorn: the watchdog aborts the connection after `send_timeout`.

    Returns:
        True when the gate was set up (daphne), else False.
    """
    found = _daphne(connection)
    if found is None:
        return False
    transport = found.transport
    inner = getattr(transport, "producer", None)
    if inner is not None and not getattr(transport, "streamingProducer", False):
        return False  # a pull producer: its calls mean something else
    gate = asyncio.Event()
    gate.set()
    watch = _BufferWatch(gate, inner)
    try:
        if inner is None:
            transport.registerProducer(watch, True)
        else:
            transport.producer = watch
    except Exception:
        logger.debug("cannot watch the buffer of connection %s", connection.id, exc_info=True)
        return False
    connection.gate = gate
    return True
