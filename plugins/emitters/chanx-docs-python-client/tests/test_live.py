"""The generated Python client against a real uvicorn server serving the fixture app."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chanx.testing.server import LiveServer

pytestmark = pytest.mark.e2e

FIXTURES = Path(__file__).resolve().parents[2] / "client_fixtures"


@pytest.fixture
async def server(fixture_app_module: ModuleType) -> AsyncIterator[LiveServer]:
    async with LiveServer(fixture_app_module.app) as live:
        yield live


async def next_of(client: Any, kind: type) -> Any:
    """The next message of type `kind` from `async for` (others are skipped)."""
    async with asyncio.timeout(10):
        async for message in client:
            if isinstance(message, kind):
                return message
    raise AssertionError(f"the connection ended before a {kind.__name__}")


async def test_request_waits_for_the_matching_reply(client: ModuleType, server: LiveServer) -> None:
    room = client.room
    async with client.RoomClient.connect(server.ws_url(""), room_id="r1") as chat:
        pong = await chat.request(room.PingMessage(), timeout=10)
        echo = await chat.request(room.UserMessage(payload="hi"), timeout=10)
    assert isinstance(pong, room.PongMessage)
    assert isinstance(echo, room.SystemEchoMessage)
    assert echo.payload == "echo: hi"
    assert chat.close_code == 1000


async def test_a_broadcast_reaches_the_room_through_async_for(
    client: ModuleType, server: LiveServer
) -> None:
    room = client.room
    url = server.ws_url("")
    async with (
        client.RoomClient.connect(url, room_id="lobby") as ann,
        client.RoomClient.connect(url, room_id="lobby") as bob,
        client.RoomClient.connect(url, room_id="elsewhere") as eve,
    ):
        await ann.send_chat(
            room.ChatMessage(payload=room.ChatPayload(user_name="ann", message="hey"))
        )
        received = await next_of(bob, room.ChatNotificationMessage)
        await eve.request(room.PingMessage(), timeout=10)
        assert eve._inbox.empty()  # nothing from another room arrived before the pong
    assert received.payload == room.ChatPayload(user_name="ann", message="hey")


async def test_completion_signals_can_be_awaited(client: ModuleType, server: LiveServer) -> None:
    room = client.room
    async with client.RoomClient.connect(server.ws_url(""), room_id="r2") as chat:
        await chat.send_log(room.LogMessage(payload="a line"))
        done = await chat.wait_for("complete", timeout=10)
    assert isinstance(done, room.CompleteMessage)


async def test_an_error_frame_raises_server_error_with_its_code(
    client: ModuleType, server: LiveServer
) -> None:
    room = client.room
    bad = room.UserMessage.model_construct(action="user_message", payload=["not", "text"])
    async with client.RoomClient.connect(server.ws_url(""), room_id="r3") as chat:
        with (
            pytest.raises(client.ServerError) as caught,
            pytest.warns(UserWarning, match="serialized value may not be as expected"),
        ):
            await chat.request(bad, timeout=10)
        assert isinstance(await chat.request(room.PingMessage(), timeout=10), room.PongMessage)
    assert caught.value.code == "invalid_message"


@pytest.mark.parametrize("source", ["header", "subprotocol", "query"])
async def test_the_token_hook_authenticates_through_each_source(
    client: ModuleType, fixture_app_module: ModuleType, server: LiveServer, source: str
) -> None:
    calls: list[str] = []

    async def fresh_token() -> str:
        calls.append(source)
        return str(fixture_app_module.token("ann"))

    async with client.SecureClient.connect(
        server.ws_url(""), token=fresh_token, token_source=source
    ) as secure:
        identity = await secure.request(client.secure.WhoAmI(), timeout=10)
    assert identity.payload == "ann"
    assert calls == [source]


async def test_a_refused_token_ends_the_client_without_reconnecting(
    client: ModuleType, server: LiveServer
) -> None:
    async with client.SecureClient.connect(server.ws_url(""), token=lambda: "not-a-jwt") as secure:
        received = [message async for message in secure]
    assert (received, secure.close_code, secure.connections) == ([], 4401, 1)


async def test_the_demo_chat_client_joins_posts_and_is_refused_a_bad_room(
    client: ModuleType, server: LiveServer
) -> None:
    chat = client.chat
    url = server.ws_url("")
    async with client.ChatClient.connect(url, room="lobby", query={"name": "ann"}) as ann:
        joined = await next_of(ann, chat.UserJoined)
        sent = await ann.request(chat.ChatMessage(payload=chat.ChatText(text="hello")), timeout=10)
    assert joined.payload == chat.PresencePayload(room="lobby", user="ann")
    assert isinstance(sent, chat.MessageSent)
    assert sent.payload.text == "hello"
    refused = client.ChatClient.connect(url, room="no.room", query={"name": "ann"})
    try:  # refused after accepting (close 4404) or in the handshake (HTTP 403)
        async with refused:
            assert [m async for m in refused] == []
        code = refused.close_code
    except client.ConnectionEnded as exc:
        code = exc.code
    assert code in (4403, 4404)
    assert refused.connections <= 1


@pytest.mark.parametrize("channel", ["camel", "packed"])
async def test_camelized_and_msgpack_wires_round_trip(
    client: ModuleType, server: LiveServer, channel: str
) -> None:
    module = getattr(client, channel)
    client_class = getattr(client, channel.capitalize() + "Client")
    point = module.Point(x_value=3, y_value=2.5, label_text="here")
    assert point.model_dump(by_alias=True) == {"xValue": 3, "yValue": 2.5, "labelText": "here"}
    async with client_class.connect(server.ws_url("")) as wire:
        moved = await wire.request(module.Move(payload=point), timeout=10)
    assert moved.payload == point
    assert client_class.binary is (channel == "packed")


async def test_the_client_reconnects_after_the_server_restarts(
    client: ModuleType, fixture_app_module: ModuleType
) -> None:
    tokens: list[str] = []

    def fresh_token() -> str:
        tokens.append(fixture_app_module.token(f"user{len(tokens)}"))
        return tokens[-1]

    backoff = client.Backoff(initial=0.05, maximum=0.2)
    async with LiveServer(fixture_app_module.app) as first:
        port = first.port
        secure = client.SecureClient.connect(first.ws_url(""), token=fresh_token, backoff=backoff)
        await secure.open()
        assert (await secure.request(client.secure.WhoAmI(), timeout=10)).payload == "user0"
    # The server is gone: the client is retrying with backoff while nothing listens.
    async with LiveServer(fixture_app_module.app, port=port):
        await secure.wait_connection(2, timeout=15)
        identity = await secure.request(client.secure.WhoAmI(), timeout=10)
        await secure.close()
    # A fresh token was asked for before every attempt; the last one got through.
    assert len(tokens) >= 2
    assert identity.payload == f"user{len(tokens) - 1}"


async def test_the_client_reconnects_after_the_server_process_is_killed(
    client: ModuleType, uvicorn_process: Any
) -> None:
    port = uvicorn_process.free_port()
    server = await asyncio.to_thread(uvicorn_process.start_uvicorn, port)
    try:
        room = client.room
        chat = client.RoomClient.connect(
            f"ws://127.0.0.1:{port}", room_id="k", backoff=client.Backoff(initial=0.05, maximum=0.2)
        )
        await chat.open()
        assert isinstance(await chat.request(room.PingMessage(), timeout=10), room.PongMessage)
        server.send_signal(signal.SIGKILL)  # no close frame: the client sees 1006
        await asyncio.to_thread(server.wait)
        server = await asyncio.to_thread(uvicorn_process.start_uvicorn, port)
        await chat.wait_connection(2, timeout=30)
        pong = await chat.request(room.PingMessage(), timeout=10)
        await chat.close()
    finally:
        server.kill()
        await asyncio.to_thread(server.wait)
    assert isinstance(pong, room.PongMessage)
    assert chat.connections == 2
