"""The demo chat end to end: real uvicorn on loopback, real WebSocket and HTTP clients.

"Nothing arrived" is proven without sleeping: the in-memory layer delivers each connection's
messages in order, so after the action under test an HTTP announcement is sent as a sentinel,
and the first frame after it must be that announcement. A frame that should not have arrived
would have been queued before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import re
import sys
from collections.abc import AsyncIterator, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, BinaryIO

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

import chanx
from chanx.cli import main
from chanx.demo.app import app
from chanx.demo.cli import INSTALL_HINT
from chanx.testing.server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

WAIT = 5.0
"""Seconds any single expected frame or response may take."""

Frame = dict[str, Any]


@pytest.fixture(autouse=True)
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose server logged an error (a handler or hook raised, for instance)."""
    yield
    records = [*caplog.get_records("call"), *caplog.records]  # the latter: this teardown
    errors = [r.getMessage() for r in records if r.levelno >= logging.ERROR]
    assert not errors, errors


@pytest.fixture
async def server() -> AsyncIterator[LiveServer]:
    async with LiveServer(app) as live:
        yield live


@pytest.fixture
async def http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=WAIT) as client:
        yield client


async def receive(ws: websockets.ClientConnection) -> Frame:
    async with asyncio.timeout(WAIT):
        frame: Frame = json.loads(await ws.recv())
    return frame


async def send(ws: websockets.ClientConnection, action: str, payload: Any = None) -> None:
    await ws.send(json.dumps({"action": action, "payload": payload}))


@contextlib.asynccontextmanager
async def member(
    server: LiveServer, room: str, name: str
) -> AsyncIterator[websockets.ClientConnection]:
    """A client in `room`, returned once it saw its own arrival (so it is in the group)."""
    async with websockets.connect(server.ws_url(f"/ws/chat/{room}?name={name}")) as ws:
        assert await receive(ws) == joined(room, name)
        yield ws


def joined(room: str, user: str) -> Frame:
    return {"action": "user_joined", "payload": {"room": room, "user": user}}


def left(room: str, user: str) -> Frame:
    return {"action": "user_left", "payload": {"room": room, "user": user}}


def announcement(room: str, text: str) -> Frame:
    return {"action": "announcement", "payload": {"room": room, "text": text}}


async def announce(http: httpx.AsyncClient, room: str, text: str) -> None:
    response = await http.post(f"/rooms/{room}/announce", json={"text": text})
    assert response.status_code == 202, response.text
    assert response.json() == {"status": "sent", "room": room}


async def test_chat_reaches_the_room_but_not_the_sender_nor_other_rooms(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    async with (
        member(server, "lobby", "alice") as alice,
        member(server, "lobby", "bob") as bob,
        member(server, "garden", "carol") as carol,
    ):
        assert await receive(alice) == joined("lobby", "bob")

        await send(alice, "chat", {"text": "hello, room"})

        posted = {"room": "lobby", "user": "alice", "text": "hello, room"}
        assert await receive(alice) == {"action": "message_sent", "payload": posted}
        assert await receive(bob) == {"action": "new_message", "payload": posted}
        await announce(http, "lobby", "sentinel")
        assert await receive(alice) == announcement("lobby", "sentinel")
        assert await receive(bob) == announcement("lobby", "sentinel")
        await announce(http, "garden", "sentinel")
        assert await receive(carol) == announcement("garden", "sentinel")


async def test_invalid_chat_gets_an_error_frame_and_the_connection_stays_open(
    server: LiveServer,
) -> None:
    async with member(server, "lobby", "alice") as alice:
        await send(alice, "chat", {"text": ""})
        error = await receive(alice)
        assert error["action"] == "error"
        assert error["payload"]["code"] == "invalid_message"

        await send(alice, "ping")
        assert await receive(alice) == {"action": "pong", "payload": None}


async def test_joins_and_leaves_are_announced_to_the_room(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    async with member(server, "lobby", "alice") as alice:
        async with member(server, "lobby", "bob"):
            assert await receive(alice) == joined("lobby", "bob")
        assert await receive(alice) == left("lobby", "bob")

        async with member(server, "garden", "carol"):
            pass
        await announce(http, "lobby", "sentinel")
        assert await receive(alice) == announcement("lobby", "sentinel")


async def topic(ws: websockets.ClientConnection, action: str, room: str) -> None:
    await ws.send(json.dumps({"action": action, "version": 1, "topic": f"room/{room}"}))


async def next_action(ws: websockets.ClientConnection, action: str) -> Frame:
    while (frame := await receive(ws))["action"] != action:
        pass
    return frame


async def test_the_member_list_follows_who_is_in_the_room(server: LiveServer) -> None:
    async with member(server, "lobby", "alice") as alice:
        await topic(alice, "subscribe", "lobby")
        assert (await receive(alice))["action"] == "subscribed"
        assert (await receive(alice))["action"] == "presence_join"  # alice herself
        async with member(server, "lobby", "bob") as bob:
            await topic(bob, "subscribe", "lobby")
            await next_action(bob, "subscribed")
            await next_action(alice, "presence_join")
            await topic(bob, "members", "lobby")
            listed = await next_action(bob, "member_list")
            assert (listed["payload"], listed["topic"]) == (["alice", "bob"], "room/lobby")
            await topic(bob, "subscribe", "garden")  # not bob's room
            refused = await next_action(bob, "error")
            assert refused["payload"]["reason"] == "unauthorized"
        await next_action(alice, "presence_leave")
        await topic(alice, "members", "lobby")
        assert (await next_action(alice, "member_list"))["payload"] == ["alice"]


async def test_http_announcement_reaches_everyone_in_the_room(
    server: LiveServer, http: httpx.AsyncClient
) -> None:
    async with member(server, "lobby", "alice") as alice, member(server, "lobby", "bob") as bob:
        assert await receive(alice) == joined("lobby", "bob")

        await announce(http, "lobby", "doors close at 6")

        assert await receive(alice) == announcement("lobby", "doors close at 6")
        assert await receive(bob) == announcement("lobby", "doors close at 6")


@pytest.mark.parametrize(
    ("room", "body"),
    [
        ("lobby", {"text": ""}),
        ("lobby", {}),
        ("no%20spaces", {"text": "hi"}),
        ("x" * 33, {"text": "hi"}),
    ],
)
async def test_http_announcement_rejects_bad_input(
    http: httpx.AsyncClient, room: str, body: dict[str, str]
) -> None:
    response = await http.post(f"/rooms/{room}/announce", json=body)
    assert response.status_code == 422


@pytest.mark.parametrize("query", ["", "?name=", "?name=%20%20", "?name=" + "n" * 33])
async def test_a_connection_without_a_valid_name_is_closed_with_4401(
    server: LiveServer, http: httpx.AsyncClient, query: str
) -> None:
    async with member(server, "lobby", "alice") as alice:
        async with websockets.connect(server.ws_url(f"/ws/chat/lobby{query}")) as refused:
            with pytest.raises(ConnectionClosed) as closed:
                await receive(refused)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401

        await announce(http, "lobby", "sentinel")  # the refused client never "left" the room
        assert await receive(alice) == announcement("lobby", "sentinel")


async def test_a_malformed_room_is_closed_with_4404(server: LiveServer) -> None:
    async with websockets.connect(server.ws_url("/ws/chat/no%20spaces?name=alice")) as refused:
        with pytest.raises(ConnectionClosed) as closed:
            await receive(refused)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404


class _Links(HTMLParser):
    """Collects every URL-valued attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "action", "formaction", "poster", "data"} and value:
                self.urls.append(value)


async def test_the_page_is_served_and_requests_nothing_from_other_hosts(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "<script>" in page
    assert "/ws/chat/" in page
    links = _Links()
    links.feed(page)
    for url in links.urls:
        assert not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", url, re.IGNORECASE), url
    assert not re.search(r"(?:https?|wss?):\/\/", page, re.IGNORECASE)
    assert "@import" not in page
    assert "url(" not in page


def test_demo_refuses_a_non_loopback_host_without_public(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--host", "0.0.0.0", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "refusing to listen on 0.0.0.0" in err
    assert "--public" in err


@pytest.mark.parametrize("missing", ["fastapi", "uvicorn"])
def test_demo_without_its_dependencies_exits_2_with_the_install_hint(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)
    assert main(["demo"]) == 2
    assert capsys.readouterr().err.strip() == INSTALL_HINT


CHANX_ROOT = Path(chanx.__file__).resolve().parents[1]
"""Where the `chanx` package under test lives, so the subprocess runs the same code."""


@pytest.fixture
def stderr_log(tmp_path: Path) -> Iterator[BinaryIO]:
    with (tmp_path / "stderr.txt").open("w+b") as log:
        yield log


async def test_chanx_demo_command_serves_the_chat(stderr_log: BinaryIO) -> None:
    paths = [str(CHANX_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "chanx", "demo", "--port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=stderr_log,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
    )
    try:
        assert process.stdout is not None
        async with asyncio.timeout(30):
            line = (await process.stdout.readline()).decode()
        found = re.search(r"http://(127\.0\.0\.1:\d+)/", line)
        assert found, f"the command printed no URL: {line!r}"
        async with websockets.connect(f"ws://{found.group(1)}/ws/chat/lobby?name=tester") as ws:
            assert await receive(ws) == joined("lobby", "tester")
            await send(ws, "ping")
            assert await receive(ws) == {"action": "pong", "payload": None}
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(10):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        print("stderr of `chanx demo`:", _contents(stderr_log), sep="\n")


def _contents(log: BinaryIO) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")
