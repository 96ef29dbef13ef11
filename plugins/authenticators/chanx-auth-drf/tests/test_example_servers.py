"""The chat example served by daphne in its own process (uvicorn: test_example_project.py)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async

from chanx.testing.django import session_cookie

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "django_chat"

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
async def daphne() -> AsyncIterator[str]:
    """`ws://127.0.0.1:<port>` of a daphne process serving the example project."""
    pytest.importorskip("daphne")
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "chat_project.settings"}
    command = ["-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "chat_project.asgi:application"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *command,
        cwd=EXAMPLE,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(30):
            while True:
                if process.returncode is not None:
                    raise RuntimeError("daphne exited before it listened")
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                except OSError:
                    await asyncio.sleep(0.05)  # startup: nothing to await but the port
                    continue
                writer.close()
                await writer.wait_closed()
                break
        yield f"ws://127.0.0.1:{port}"
    finally:
        if process.returncode is None:
            process.terminate()
        async with asyncio.timeout(10):
            await process.communicate()


async def test_room_chat_on_daphne(daphne: str, alice: Any, room: Any) -> None:
    name, value = await sync_to_async(session_cookie)(alice)
    url = f"{daphne}/ws/rooms/{room.pk}/"
    origin = daphne.replace("ws://", "http://")  # the page's own origin, as a browser sends it
    cookie = {name.decode(): value.decode()}
    async with websockets.connect(url, additional_headers=cookie, origin=origin) as ws:
        await ws.send(json.dumps({"action": "ping"}))
        assert json.loads(await ws.recv()) == {"action": "pong", "payload": None}
        await ws.send(json.dumps({"action": "chat", "payload": {"message": "via daphne"}}))
        assert json.loads(await ws.recv())["payload"]["message"] == "via daphne"
    async with websockets.connect(url, origin=origin) as anonymous:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await anonymous.recv()
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401
