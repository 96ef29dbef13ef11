"""The per-server table of docs/security.md, pinned against real uvicorn and daphne processes.

Where a server decides before chanx sees anything (daphne's Autobahn drops frames over
1 MiB and invalid UTF-8), chanx cannot keep its promise; these tests pin what the client
then gets, so the table stays true.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import pytest
import websockets

from tests.raw_clients import masked_frame

from .conftest import Server, daphne, recv_json, uvicorn

pytestmark = pytest.mark.e2e

EXPECTED = {
    # what the client gets:  (over max_frame_bytes and daphne's 1 MiB, invalid UTF-8)
    "uvicorn": (1009, 1007),
    "daphne": (None, None),  # the TCP connection drops without a close frame: 1006
}


@pytest.fixture(scope="module", params=["uvicorn", "daphne"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "uvicorn":
        started = uvicorn(tmp, "websockets-sansio").start()
    else:
        started = daphne(tmp, OPS_LAYERS="1").start()
    try:
        yield started
    finally:
        started.stop()


async def _close_code(ws: object) -> int | None:
    async with asyncio.timeout(10):
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await ws.recv()  # type: ignore[attr-defined]
    received = ws.protocol.close_rcvd  # type: ignore[attr-defined]
    return received.code if received is not None else None


async def test_a_frame_over_one_mebibyte(server: Server) -> None:
    async with websockets.connect(server.url("/ws/open"), max_size=None, open_timeout=10) as ws:
        await ws.send('{"action": "ping", "payload": "' + "x" * (2 * 1024 * 1024) + '"}')
        code = await _close_code(ws)
    assert code == EXPECTED[server.kind][0]
    await _still_serving(server)


async def test_invalid_utf8(server: Server) -> None:
    async with websockets.connect(server.url("/ws/open"), open_timeout=10) as ws:
        frame = bytearray(masked_frame("{}"))
        # a text frame whose payload is not UTF-8: rewrite the masked payload
        mask, payload = bytes(frame[2:6]), b"\xff\xfe"
        raw = (
            bytes([0x81, 0x80 | len(payload)])
            + mask
            + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        )
        ws.transport.write(raw)  # type: ignore[attr-defined]
        code = await _close_code(ws)
    assert code == EXPECTED[server.kind][1]
    await _still_serving(server)


async def _still_serving(server: Server) -> None:
    async with websockets.connect(server.url("/ws/open"), open_timeout=10) as ws:
        await ws.send('{"action": "ping", "payload": 3}')
        assert await recv_json(ws) == {"action": "pong", "payload": 3}
