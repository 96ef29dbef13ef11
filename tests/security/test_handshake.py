"""Handshakes: origins, missing origins, tokens, timeouts, per-user caps, malformed requests."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Iterator

import pytest
import websockets

import chanx
from chanx.core.close_codes import CloseCode

from .conftest import SECRET, Served, closed_with, record, recv_json

pytestmark = pytest.mark.e2e


async def refused_status(served: Served, route: str, **kw: object) -> tuple[int, bytes]:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with served.connect(route, **kw):
            pass
    response = info.value.response
    return response.status_code, response.body or b""


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example", "null", f"https://{SECRET}.example/", "http://127.0.0.1:1"],
)
async def test_foreign_origin_is_refused_with_a_real_403_before_accept(
    served: Served, origin: str, caplog: pytest.LogCaptureFixture
) -> None:
    status, body = await refused_status(served, "open", origin=origin)
    assert status == 403
    assert SECRET.encode() not in body
    assert b"evil" not in body
    assert record.disconnects == []  # consumer code never ran
    assert any("refused a WebSocket handshake" in r.getMessage() for r in caplog.records)
    await served.assert_serving()


async def test_same_origin_is_accepted(served: Served) -> None:
    origin = served.server.base_url
    async with served.connect(
        "cookie", origin=origin, additional_headers={"cookie": "session=u1"}
    ) as ws:
        await ws.send('{"action": "ping"}')
        assert (await recv_json(ws))["action"] == "pong"


@pytest.mark.parametrize(
    ("origin", "ok"),
    [
        ("https://app.example.com", True),
        ("https://eu.example.org", True),
        ("https://example.org", False),
        ("http://app.example.com", False),
        ("https://app.example.com.evil.net", False),
    ],
)
async def test_allow_list_with_wildcards(served: Served, origin: str, ok: bool) -> None:
    if ok:
        async with served.connect("listed", origin=origin) as ws:
            await ws.send('{"action": "ping"}')
            assert (await recv_json(ws))["action"] == "pong"
    else:
        assert (await refused_status(served, "listed", origin=origin))[0] == 403


async def test_global_allow_list_and_star_opt_out(served: Served) -> None:
    assert (await refused_status(served, "open", origin="https://partner.example"))[0] == 403
    chanx.configure(allowed_origins=["https://partner.example"])
    async with served.connect(origin="https://partner.example"):
        pass
    chanx.configure(allowed_origins=["*"])
    async with served.connect(origin="https://anything.example"):
        pass


async def test_missing_origin_refused_for_cookie_auth_allowed_for_token_auth(
    served: Served,
) -> None:
    status, _ = await refused_status(served, "cookie", additional_headers={"cookie": "session=u"})
    assert status == 403
    async with served.connect("token", "token=good-ann") as ws:
        await ws.send('{"action": "ping"}')
        assert (await recv_json(ws))["action"] == "pong"
    chanx.configure(allow_missing_origin=True)
    async with served.connect("cookie", additional_headers={"cookie": "session=u"}):
        pass
    chanx.configure(allow_missing_origin=False)
    assert (await refused_status(served, "token", query="token=good-ann"))[0] == 403


async def test_expired_token_closes_4401_without_echoing_it(served: Served) -> None:
    async with served.connect("token", f"token=expired-{SECRET}") as ws:
        code, reason = await closed_with(ws)
    assert code == CloseCode.UNAUTHENTICATED
    assert SECRET not in reason
    async with served.connect("token", "token=wrong") as ws:
        assert (await closed_with(ws))[0] == CloseCode.UNAUTHENTICATED
    await served.assert_serving()


async def test_authentication_timeout_closes_4408(served: Served) -> None:
    async with served.connect("slowauth") as ws:
        code, reason = await closed_with(ws, timeout=5)
    assert code == CloseCode.AUTH_TIMEOUT
    assert reason == "authentication timed out"
    await served.assert_serving()


async def test_connections_per_user_are_capped_and_released(served: Served) -> None:
    async with served.connect("one", "token=good-bob") as first:
        await first.send('{"action": "ping"}')
        await recv_json(first)
        async with served.connect("one", "token=good-bob") as second:
            code, _ = await closed_with(second)
        assert code == CloseCode.TOO_MANY_CONNECTIONS
        async with served.connect("one", "token=good-eve") as other:  # another user
            await other.send('{"action": "ping"}')
            await recv_json(other)
    async with asyncio.timeout(5):
        while True:  # the slot is given back once the first connection is cleaned up
            async with served.connect("one", "token=good-bob") as again:
                await again.send('{"action": "ping"}')
                try:
                    reply = await recv_json(again, timeout=1)
                except websockets.ConnectionClosed:
                    await asyncio.sleep(0.05)
                    continue
                assert reply["action"] == "pong"
                break


def _key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


MALFORMED = {
    "no-key": "GET /ws/open HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n",
    "bad-version": "GET /ws/open HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    f"Connection: Upgrade\r\nSec-WebSocket-Key: {_key()}\r\nSec-WebSocket-Version: 99\r\n\r\n",
    "bad-key": "GET /ws/open HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n",
    "garbage": "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n",
    "huge-header": "GET /ws/open HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 200_000 + "\r\n\r\n",
    "header-injection": "GET /ws/open HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    "Connection: Upgrade\r\nSec-WebSocket-Key: " + _key() + "\r\nSec-WebSocket-Version: 13\r\n"
    "Origin: https://a.example\r\n\r\nX: y\r\n\r\n",
    "double-origin": "GET /ws/cookie HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    f"Connection: Upgrade\r\nSec-WebSocket-Key: {_key()}\r\nSec-WebSocket-Version: 13\r\n"
    "Origin: http://x\r\nOrigin: http://x\r\nCookie: session=u\r\n\r\n",
}


async def raw_exchange(served: Served, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", served.server.port)
    try:
        writer.write(request)
        await writer.drain()
        async with asyncio.timeout(5):
            return await reader.read(4096)
    except (ConnectionError, TimeoutError):
        return b""
    finally:
        writer.close()


@pytest.mark.parametrize("name", list(MALFORMED))
async def test_malformed_handshakes_are_refused_and_the_server_keeps_serving(
    served: Served, name: str
) -> None:
    response = await raw_exchange(served, MALFORMED[name].encode("latin-1"))
    if response:
        status = int(response.split(b" ", 2)[1])
        assert status != 101 or name == "header-injection"
        if name == "double-origin":  # refused by the server's parser or by chanx
            assert status in (400, 403)
    assert SECRET.encode() not in response
    await served.assert_serving()


@pytest.fixture
def server_log() -> Iterator[list[str]]:
    """Every message logged by uvicorn's and chanx's loggers, as formatted text."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    handler = Keep(logging.DEBUG)
    names = ["uvicorn.error", "uvicorn.access", "chanx"]
    old = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield lines
    for name in names:
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(old[name])


async def test_tokens_never_reach_the_logs(served: Served, server_log: list[str]) -> None:
    async with served.connect("token", f"room=1&access_token={SECRET}&token=good-{SECRET}") as ws:
        await ws.send('{"action": "ping"}')
        await recv_json(ws)
    async with served.connect("token", f"token=expired-{SECRET}") as ws:
        await closed_with(ws)
    await refused_status(served, "open", query=f"jwt={SECRET}", origin="https://evil.example")
    assert any("WebSocket /ws/token?room=1&access_token=***" in line for line in server_log)
    assert not [line for line in server_log if SECRET in line]


async def test_fastapi_route_refuses_foreign_origins_too() -> None:
    from fastapi import FastAPI

    from chanx.testing.server import LiveServer

    from .conftest import app_for

    app = FastAPI()
    app.add_api_websocket_route("/ws/open", app_for("starlette")[1]["open"].as_asgi())
    async with LiveServer(app) as server:
        served = Served(server, "fastapi", {})
        status, body = await refused_status(served, "open", origin="https://evil.example")
        assert status == 403
        assert b"evil" not in body
        await served.assert_serving()
