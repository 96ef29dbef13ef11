"""uvicorn's graceful shutdown ends within `shutdown_grace` plus a margin, whatever clients do.

Each run has, at SIGTERM: a client that asked for a flood and never reads (its send blocks,
and `send_timeout` is far away), a handler that would run for 30 s with 300 frames queued
behind it (a full backlog: that connection reads nothing, not even uvicorn's close), and a
handler that finishes within the grace and replies to a socket uvicorn has already closed.
The process must exit in time, and the late reply must be dropped without an ERROR or a
traceback.
"""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import pytest
import websockets

from tests.raw_clients import never_reading_client

from .conftest import UVICORN_WS, Server, daphne, uvicorn, wait_for

pytestmark = pytest.mark.e2e

GRACE = 1.0
MARGIN = 2.5


async def _busy_clients(server: Server) -> tuple[socket.socket, list[object]]:
    stuck = await never_reading_client(server.port, "/ws/open", first='{"action": "flood"}')
    clients = []
    for hold in (30, 0.3):
        ws = await websockets.connect(server.url("/ws/open"), open_timeout=10)
        await ws.send(f'{{"action": "hold", "payload": {hold}}}')
        clients.append(ws)
    for _ in range(300):  # behind the 30 s handler: a full backlog, so it stops reading
        await clients[0].send('{"action": "ping"}')
    client_port = stuck.getsockname()[1]
    # the flood has filled the socket: the server holds unsent bytes for the stuck client
    await wait_for(lambda: (peer := server.peer_of(client_port)) is not None and peer, 5)
    await asyncio.sleep(0.2)
    return stuck, clients


@pytest.mark.parametrize("ws", UVICORN_WS)
async def test_uvicorn_shutdown_ends_within_the_grace_whatever_clients_do(
    tmp_path: Path, servers: list[Server], ws: str
) -> None:
    server = uvicorn(tmp_path, ws, OPS_SHUTDOWN_GRACE=str(GRACE), OPS_SEND_TIMEOUT="60").start()
    servers.append(server)
    stuck, clients = await _busy_clients(server)
    try:
        took = await asyncio.to_thread(server.terminate, 20)
    finally:
        stuck.close()
        for client in clients:
            await client.close()  # type: ignore[attr-defined]
    log = server.log()
    assert took < GRACE + MARGIN, f"shutdown took {took:.1f} s:\n{log}"
    assert "Traceback" not in log, log
    assert "ClientDisconnected" not in log, log
    assert "ERROR" not in log, log


async def test_daphne_sigterm_drops_clients_at_once(tmp_path: Path, servers: list[Server]) -> None:
    """Pinned difference: daphne closes sockets at SIGTERM (1006), no grace for handlers."""
    server = daphne(tmp_path, OPS_LAYERS="1", OPS_SHUTDOWN_GRACE="5").start()
    servers.append(server)
    async with websockets.connect(server.url("/ws/open"), open_timeout=10) as ws:
        await ws.send('{"action": "hold", "payload": 3}')
        await asyncio.sleep(0.3)
        took = await asyncio.to_thread(server.terminate, 20)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(5):
                await ws.recv()
    assert took < 3  # the 3 s handler was not waited for
    assert closed.value.rcvd is None  # no close frame: the browser sees 1006


@pytest.mark.parametrize("ws", UVICORN_WS)
async def test_a_reply_after_uvicorn_closed_the_socket_is_dropped_quietly(
    tmp_path: Path, servers: list[Server], ws: str
) -> None:
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
        "loggers": {"chanx": {"level": "DEBUG"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
    }
    (tmp_path / "logging.json").write_text(json.dumps(config))
    server = uvicorn(tmp_path, ws, OPS_SHUTDOWN_GRACE="3")
    server.argv[-1:-1] = ["--log-config", str(tmp_path / "logging.json")]
    servers.append(server.start())
    client = await websockets.connect(server.url("/ws/open"), open_timeout=10)
    try:
        await client.send('{"action": "hold", "payload": 0.8}')
        await asyncio.sleep(0.1)
        took = await asyncio.to_thread(server.terminate, 20)
    finally:
        await client.close()
    log = server.log()
    assert took < 3, log  # the handler finished within the grace: no need to wait it out
    assert "INFO ops: hold of 0.8 s finished" in log  # the reply was produced in the grace
    assert "Traceback" not in log, log  # and dropped without a word, even at DEBUG
    assert "ERROR" not in log, log
