"""A lean WebSocket client for holding thousands of connections in one load-client process.

One `asyncio.Protocol` per connection: it writes the HTTP upgrade by hand, sends masked client
frames, and parses the server's unmasked frames itself, handing each text or binary message
to a callback as bytes (no decoding, no per-message task). Pings are answered, a close frame is
recorded and echoed. Compression is never offered. That keeps the client's cost per delivered
frame a few microseconds, so at 10,000 members the server, not the client, sets the pace.

Loopback only: `open_many` refuses any host but 127.0.0.1, ::1 or localhost.
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit

LOOPBACK = ("127.0.0.1", "::1", "localhost")
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
NO_CLOSE = -1


def mask(payload: bytes, key: bytes) -> bytes:
    """XOR `payload` with the repeated 4-byte `key` (RFC 6455 section 5.3)."""
    if not payload:
        return payload
    length = len(payload)
    repeated = (key * (length // 4 + 1))[:length]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return masked.to_bytes(length, "big")


def client_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    key = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return header + key + mask(payload, key)


class LeanWebSocket(asyncio.Protocol):
    """One client connection; `on_message(self, data)` sees each complete data message.

    Attributes:
        index: The connection's number in its batch (the load client keys its tallies by it).
        opened: Resolved when the server answered the upgrade with 101 (or failed).
        closed: Resolved when the TCP connection is gone.
        close_code: The code of the server's close frame, 1005 if it had none, `NO_CLOSE`
            while none arrived.
    """

    def __init__(
        self, index: int, request: bytes, on_message: Callable[[LeanWebSocket, bytes], None]
    ) -> None:
        self.index = index
        self._request = request
        self._on_message = on_message
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()
        self.close_code = NO_CLOSE
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._upgraded = False
        self._fragments: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost during upgrade: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._upgraded:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self._buffer[: self._buffer.find(b"\r\n")])
            del self._buffer[: end + 4]
            if b" 101 " not in status + b" ":
                self.opened.set_exception(ConnectionError(f"upgrade refused: {status!r}"))
                self.abort()
                return
            self._upgraded = True
            self.opened.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buffer = self._buffer
        start = 0
        size = len(buffer)
        while size - start >= 2:
            first, second = buffer[start], buffer[start + 1]
            length = second & 0x7F
            head = 2
            if length == 126:
                if size - start < 4:
                    break
                length = int.from_bytes(buffer[start + 2 : start + 4], "big")
                head = 4
            elif length == 127:
                if size - start < 10:
                    break
                length = int.from_bytes(buffer[start + 2 : start + 10], "big")
                head = 10
            if second & 0x80:
                head += 4  # a masked server frame is a protocol error; skip the key anyway
            end = start + head + length
            if end > size:
                break
            payload = bytes(buffer[start + head : end])
            start = end
            self._frame(first, payload)
        if start:
            del buffer[:start]

    def _frame(self, first: int, payload: bytes) -> None:
        opcode, final = first & 0x0F, first & 0x80
        if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
            if not final:
                self._fragments.append(payload)
                return
            if self._fragments:
                payload = b"".join([*self._fragments, payload])
                self._fragments.clear()
            self._on_message(self, payload)
        elif opcode == OP_PING:
            self._write(client_frame(OP_PONG, payload))
        elif opcode == OP_CLOSE:
            self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._write(client_frame(OP_CLOSE, payload[:2]))
            if self._transport is not None:
                self._transport.close()

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def send_text(self, text: str) -> None:
        """Send one text message."""
        self._write(client_frame(OP_TEXT, text.encode()))

    def close(self, code: int = 1000) -> None:
        """Start the closing handshake (the server answers and drops the connection)."""
        self._write(client_frame(OP_CLOSE, code.to_bytes(2, "big")))

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake."""
        if self._transport is not None:
            self._transport.abort()


def upgrade_request(url: str) -> tuple[str, int, bytes]:
    """(host, port, HTTP upgrade request) for a `ws://` URL on the loopback interface."""
    parts = urlsplit(url)
    if parts.scheme != "ws" or parts.hostname not in LOOPBACK or parts.port is None:
        raise ValueError(f"{url}: only ws:// URLs with a port on the loopback interface")
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    return parts.hostname, parts.port, request.encode()


async def open_many(
    url: str,
    count: int,
    on_message: Callable[[LeanWebSocket, bytes], None],
    *,
    first_index: int = 0,
    in_flight: int = 200,
    timeout: float = 120.0,
) -> list[LeanWebSocket]:
    """Open up to `count` upgraded connections, at most `in_flight` handshakes at a time.

    Returns the connections that were open within `timeout` seconds, in index order (fewer
    than `count` if the server was slower; the unfinished ones are abandoned).

    Raises:
        ConnectionError, OSError: A connection or its upgrade failed.
    """
    host, port, request = upgrade_request(url)
    loop = asyncio.get_running_loop()
    gate = asyncio.Semaphore(in_flight)
    started: list[LeanWebSocket] = []

    async def one(index: int) -> LeanWebSocket:
        async with gate:
            _, protocol = await loop.create_connection(
                lambda: LeanWebSocket(index, request, on_message), host, port
            )
            started.append(protocol)
            await protocol.opened
            return protocol

    tasks = [asyncio.ensure_future(one(first_index + i)) for i in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    opened = [task.result() for task in tasks if task in done]  # raises a failed one's error
    for ws in started:
        if not ws.opened.done() or ws.opened.exception() is not None:
            ws.abort()
    return opened


async def close_all(sockets: list[LeanWebSocket], timeout: float = 20.0) -> None:
    """Close every connection politely; abort whatever is still open after `timeout`."""
    for ws in sockets:
        ws.close()
    try:
        async with asyncio.timeout(timeout):
            await asyncio.gather(*(ws.closed for ws in sockets))
    except TimeoutError:
        for ws in sockets:
            ws.abort()
