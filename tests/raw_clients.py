"""Hand-made WebSocket clients on a raw socket, for what a well-behaved library won't do."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

__all__ = ["masked_frame", "never_reading_client"]


def masked_frame(text: str) -> bytes:
    """A client text frame (clients must mask)."""
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(data)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


async def never_reading_client(port: int, path: str, first: str | None = None) -> socket.socket:
    """A WebSocket client that completes the handshake, sends `first`, then never reads.

    Its receive buffer is small (4 KiB), so the server's frames back up after a few KiB.
    """
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        await loop.sock_sendall(
            sock,
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode(),
        )
        head = b""
        async with asyncio.timeout(10):
            while b"\r\n\r\n" not in head:
                head += await loop.sock_recv(sock, 1)  # byte by byte: leave every frame unread
        assert head.startswith(b"HTTP/1.1 101"), head
        if first is not None:
            await asyncio.sleep(0.3)
            await loop.sock_sendall(sock, masked_frame(first))
    except BaseException:
        sock.close()  # a failed handshake leaves no socket behind for the GC to warn about
        raise
    return sock
