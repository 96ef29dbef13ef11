"""A client that stops reading is aborted (4499) and its socket released, on every server.

The server process's socket table is the judge: after the abort, the server side of the
connection must be gone (not ESTABLISHED with megabytes queued) within a couple of seconds.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.raw_clients import never_reading_client

from .conftest import UVICORN_WS, Server, daphne, uvicorn, wait_for

pytestmark = pytest.mark.e2e

SEND_TIMEOUT = 0.5
RELEASED_WITHIN = 2.5
"""Seconds from the abort (send_timeout after sends block) to the socket being gone."""


async def _flood_and_wait(server: Server, path: str) -> float:
    """Have the server flood a never-reading client; seconds until its socket is released."""
    sock = await never_reading_client(server.port, path, first='{"action": "flood"}')
    try:
        client_port = sock.getsockname()[1]
        assert server.peer_of(client_port) is not None
        started = time.monotonic()
        await wait_for(lambda: server.peer_of(client_port) is None, timeout=15)
        return time.monotonic() - started
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("ws", "loop"), [*((ws, "auto") for ws in UVICORN_WS), ("websockets-sansio", "asyncio")]
)
async def test_uvicorn_releases_the_socket_of_an_aborted_slow_reader(
    tmp_path: Path, servers: list[Server], ws: str, loop: str
) -> None:
    server = uvicorn(tmp_path, ws, loop=loop, OPS_SEND_TIMEOUT=str(SEND_TIMEOUT)).start()
    servers.append(server)
    took = await _flood_and_wait(server, "/ws/open")
    assert took < SEND_TIMEOUT + RELEASED_WITHIN, server.log()
    log = server.log()
    assert "aborted a slow consumer" in log  # the WARNING reached stderr, once
    assert log.count("aborted a slow consumer") == 1
    assert "Traceback" not in log


async def test_daphne_bounds_what_it_holds_for_a_client_that_does_not_read(
    tmp_path: Path, servers: list[Server]
) -> None:
    """daphne never blocks a send; chanx's send gate makes it, and the watchdog aborts."""
    server = daphne(tmp_path, OPS_SEND_TIMEOUT=str(SEND_TIMEOUT)).start()
    servers.append(server)
    before = server.rss()
    took = await _flood_and_wait(server, "/ws/open")
    assert took < SEND_TIMEOUT + RELEASED_WITHIN, server.log()
    grown = server.rss() - before
    # 300 frames of 64 KiB are 19 MiB: the gate keeps all but about one frame out of daphne
    assert grown < 8 * 1024 * 1024, f"daphne grew by {grown / 2**20:.1f} MiB"
    log = server.log()
    assert "aborted a slow consumer" in log
    assert "Traceback" not in log, log
