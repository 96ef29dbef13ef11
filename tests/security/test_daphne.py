"""The Django adapter's protections under daphne (a separate process; no HTTP-response
extension, so refusals are a close before accept, which daphne answers with 403)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from chanx.core.close_codes import CloseCode, should_reconnect

from .conftest import SECRET, closed_with, recv_json

pytestmark = pytest.mark.e2e
HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def daphne() -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "daphne_app:application",
        ],
        cwd=HERE,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parents[1])])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "daphne exited before it listened"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "daphne did not start"
                time.sleep(0.05)
        yield f"ws://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


async def assert_serving(base: str) -> None:
    async with websockets.connect(f"{base}/ws/open") as ws:
        await ws.send('{"action": "ping", "payload": 2}')
        assert await recv_json(ws) == {"action": "pong", "payload": 2}


async def test_foreign_origin_is_refused_with_403(daphne: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(f"{daphne}/ws/open", origin="https://evil.example"):
            pass
    assert info.value.response.status_code == 403
    await assert_serving(daphne)


async def test_missing_origin_is_refused_for_cookie_auth(daphne: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(
            f"{daphne}/ws/cookie", additional_headers={"cookie": "session=1"}
        ):
            pass
    assert info.value.response.status_code == 403
    origin = daphne.replace("ws://", "http://")
    async with websockets.connect(
        f"{daphne}/ws/cookie", origin=origin, additional_headers={"cookie": "session=1"}
    ) as ws:
        await ws.send('{"action": "ping"}')
        assert (await recv_json(ws))["action"] == "pong"


async def test_oversize_frame_closes_4009_below_daphnes_own_cap(daphne: str) -> None:
    """daphne refuses 1009 from applications: chanx sends 4009, answered like 1009."""
    async with websockets.connect(f"{daphne}/ws/limited") as ws:
        await ws.send('{"action": "ping", "payload": "' + "x" * 2000 + '"}')
        code, _ = await closed_with(ws)
    assert code == 4009
    assert should_reconnect(4009) == should_reconnect(CloseCode.MESSAGE_TOO_BIG)
    await assert_serving(daphne)


async def test_bad_json_and_expired_token(daphne: str) -> None:
    async with websockets.connect(f"{daphne}/ws/open") as ws:
        await ws.send(f'{{"action": "{SECRET}"')
        reply = await recv_json(ws)
        assert reply["payload"]["code"] == "invalid_json"
        assert SECRET not in json.dumps(reply)
    async with websockets.connect(f"{daphne}/ws/token?token=expired-{SECRET}") as ws:
        code, reason = await closed_with(ws)
    assert code == CloseCode.UNAUTHENTICATED
    assert SECRET not in reason
    await assert_serving(daphne)
