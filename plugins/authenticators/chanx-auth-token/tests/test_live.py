"""The token authenticator in a real uvicorn process: out-of-range time claims are 4401."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from chanx_auth_token.testing import make_token

from chanx.core.close_codes import CloseCode

HERE = Path(__file__).resolve().parent
SECRET = "live-token-tests-hmac-secret-32-bytes!"

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path_factory.mktemp("live") / "uvicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "live_app:app",
            ],
            cwd=HERE,
            env={**os.environ, "PYTHONPATH": str(HERE)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
        yield port, log
    finally:
        process.terminate()
        process.wait(10)


async def _close_code(port: int, token: str) -> tuple[int | None, str]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={token}") as ws:
        async with asyncio.timeout(10):
            with contextlib.suppress(websockets.ConnectionClosed):
                while True:
                    await ws.recv()
    received = ws.protocol.close_rcvd
    return (received.code, received.reason) if received else (None, "")


@pytest.mark.parametrize("exp", [10**400, float("inf")], ids=["huge", "infinite"])
async def test_a_signed_token_with_an_impossible_exp_is_refused_4401(
    server: tuple[int, Path], exp: float
) -> None:
    port, log = server
    token = make_token("ann", SECRET, exp=exp)
    assert await _close_code(port, token) == (CloseCode.UNAUTHENTICATED, "invalid token")
    good = make_token("ann", SECRET)
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws?token={good}") as ws:
        await ws.send('{"action": "ping", "payload": 1}')
        async with asyncio.timeout(10):
            assert await ws.recv() == '{"action":"pong","payload":1}'
    text = log.read_text()
    assert "OverflowError" not in text
    assert "Traceback" not in text
