"""Group delivery on the in-memory layer, against real uvicorn and real clients.

Each connection gets its layer messages in the order they were sent, whether they are relays
forwarded within the broadcaster's call or events served by a handler task; a handler that
awaits holds back only its own connection; a broadcast is encoded once however many members
get it; and the members are served in a rotating order, so none is always served first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Literal

import pytest
import websockets
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.connection import Connection
from chanx.core.decorators import event_handler, ws_handler
from chanx.core.process import state
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import InMemoryChannelLayer, configure_layers, get_channel_layer
from chanx.messages.base import BaseMessage
from chanx.testing.server import LiveServer
from tests.raw_clients import never_reading_client

pytestmark = pytest.mark.e2e

BURST = 600


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"
    payload: int


class Call(BaseMessage):
    """Asks the server to broadcast a `Cue` event to the stage."""

    action: Literal["call"] = "call"
    payload: int


class Hold(BaseMessage):
    """From now on, this connection's `Cue` handler waits for `Stage.release`."""

    action: Literal["hold"] = "hold"
    payload: None = None


class Cue(BaseMessage):
    action: Literal["cue"] = "cue"
    payload: int


class Cued(BaseMessage):
    action: Literal["cued"] = "cued"
    payload: int


class Stage(AsyncJsonWebsocketConsumer[Cue]):
    groups: ClassVar[list[str]] = ["stage"]
    allow_missing_origin = True
    release: ClassVar[asyncio.Event | None] = None
    holding = False

    @ws_handler(output_type=Shout)
    async def handle_shout(self, message: Shout) -> None:
        await self.broadcast_message(message)

    @ws_handler
    async def handle_call(self, message: Call) -> None:
        await type(self).broadcast_event(Cue(payload=message.payload))

    @ws_handler
    async def handle_hold(self, message: Hold) -> Hold:
        self.holding = True
        return message

    @event_handler
    async def handle_cue(self, event: Cue) -> Cued:
        if self.holding and Stage.release is not None:
            await Stage.release.wait()
        await asyncio.sleep(0)  # a handler that suspends: relays behind it queue
        return Cued(payload=event.payload)


@pytest.fixture
async def stage() -> AsyncIterator[LiveServer]:
    Stage.release = asyncio.Event()
    app = Starlette(routes=[WebSocketRoute("/stage", Stage.as_asgi())])
    async with LiveServer(app) as server:
        yield server


async def join(server: LiveServer, count: int) -> list[websockets.ClientConnection]:
    url = server.ws_url("/stage")
    return [await websockets.connect(url, max_queue=None) for _ in range(count)]


async def payloads(ws: websockets.ClientConnection, count: int) -> list[int]:
    got = []
    async with asyncio.timeout(30):
        for _ in range(count):
            got.append(json.loads(await ws.recv())["payload"])
    return got


async def leave(members: list[websockets.ClientConnection]) -> None:
    for ws in members:
        await ws.close()


async def test_an_open_loop_burst_of_relays_and_events_arrives_whole_and_in_order(
    stage: LiveServer,
) -> None:
    members = await join(stage, 20)
    try:
        sender = members[0]
        for n in range(BURST):  # never waits; every third one is an event for a handler task
            kind = "call" if n % 3 == 0 else "shout"
            await sender.send(json.dumps({"action": kind, "payload": n}))
        received = await asyncio.gather(*(payloads(ws, BURST) for ws in members))
        assert all(got == list(range(BURST)) for got in received)
        assert sender.close_code is None
    finally:
        await leave(members)


async def test_a_handler_that_awaits_holds_back_only_its_own_connection(
    stage: LiveServer,
) -> None:
    assert Stage.release is not None
    members = await join(stage, 10)
    try:
        held, sender, others = members[-1], members[0], members[:-1]
        await held.send(json.dumps({"action": "hold"}))
        assert json.loads(await held.recv())["action"] == "hold"
        await sender.send(json.dumps({"action": "call", "payload": 0}))
        for n in range(1, 30):
            await sender.send(json.dumps({"action": "shout", "payload": n}))
        # everyone else has all of it while the held handler still waits
        received = await asyncio.gather(*(payloads(ws, 30) for ws in others))
        assert all(got == list(range(30)) for got in received)
        Stage.release.set()
        assert await payloads(held, 30) == list(range(30))  # then in order, nothing lost
    finally:
        await leave(members)


@contextlib.contextmanager
def counting_encodings(cls: type[AsyncJsonWebsocketConsumer[Any]]) -> Iterator[list[int]]:
    """Count the calls to the class's encoders (`encode`, `encode_data`) while inside."""
    codec = cls.current_plan().codec
    encode, encode_data = codec.encode, codec.encode_data
    calls = [0]

    def counted(func: Any) -> Any:
        def wrapper(*args: Any) -> Any:
            calls[0] += 1
            return func(*args)

        return wrapper

    codec.encode, codec.encode_data = counted(encode), counted(encode_data)
    try:
        yield calls
    finally:
        codec.encode, codec.encode_data = encode, encode_data


@pytest.mark.parametrize("completion", [False, True], ids=["forwarded", "served-by-task"])
async def test_a_broadcast_to_many_members_is_encoded_exactly_once(
    completion: bool,
) -> None:
    class Crowd(Stage):
        send_completion = completion

    app = Starlette(routes=[WebSocketRoute("/crowd", Crowd.as_asgi())])
    async with LiveServer(app) as server:
        url = server.ws_url("/crowd")
        members = [await websockets.connect(url, max_queue=None) for _ in range(150)]
        try:
            with counting_encodings(Crowd) as calls:
                for n in range(3):
                    await members[0].send(json.dumps({"action": "shout", "payload": n}))
                frames = 3 * (2 if completion else 1)  # a completion frame follows each relay
                received = await asyncio.gather(*(payloads(ws, frames) for ws in members[1:]))
            assert all([p for p in got if p is not None] == [0, 1, 2] for got in received)
            assert calls == [3]  # one encoding per broadcast, for 150 members
        finally:
            await leave(members)


async def test_members_are_served_in_a_rotating_order(
    stage: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[int] = []
    original = Connection.send_now

    def recorded(self: Connection, frame: Any) -> Any:
        order.append(self.id)
        return original(self, frame)

    monkeypatch.setattr(Connection, "send_now", recorded)
    size, broadcasts = 30, 30
    members = await join(stage, size)
    try:
        rounds = []
        for n in range(broadcasts):
            order.clear()
            await members[0].send(json.dumps({"action": "shout", "payload": n}))
            await asyncio.gather(*(payloads(ws, 1) for ws in members))
            rounds.append(list(order))
        ids = sorted(set(rounds[0]))
        assert all(sorted(r) == ids for r in rounds)  # every member once per broadcast
        firsts = [r[0] for r in rounds]
        assert max(firsts.count(i) for i in ids) <= 3  # nobody is always served first
        mean_position = [statistics.mean(r.index(i) for r in rounds) for i in ids]
        assert all(0.25 * size < position < 0.75 * size for position in mean_position)
    finally:
        await leave(members)


class Blob(BaseMessage):
    action: Literal["blob"] = "blob"
    payload: str


class Feed(AsyncJsonWebsocketConsumer):
    groups: ClassVar[list[str]] = ["feed"]
    allow_missing_origin = True
    send_timeout = 0.5

    @ws_handler(output_type=Blob)
    async def handle_blob(self, message: Blob) -> None:
        await self.broadcast_message(message)


async def test_a_member_that_never_reads_is_aborted_and_the_others_get_every_relay() -> None:
    app = Starlette(routes=[WebSocketRoute("/feed", Feed.as_asgi())])
    async with LiveServer(app) as server:
        stuck = await never_reading_client(server.port, "/feed")
        members = [
            await websockets.connect(server.ws_url("/feed"), max_queue=None) for _ in range(5)
        ]
        aborted_before = state.slow_consumer_closes
        try:
            chunk = "x" * 65536
            count = 60  # about 4 MiB: far more than the stuck client's socket buffers hold
            for n in range(count):
                await members[0].send(json.dumps({"action": "blob", "payload": f"{n:04d}{chunk}"}))

            async def numbers(ws: websockets.ClientConnection) -> list[int]:
                got = []
                async with asyncio.timeout(60):
                    while len(got) < count:
                        got.append(int(json.loads(await ws.recv())["payload"][:4]))
                return got

            received = await asyncio.gather(*(numbers(ws) for ws in members))
            assert all(got == list(range(count)) for got in received)
            async with asyncio.timeout(30):  # the watchdog aborts the stuck relay send
                while state.slow_consumer_closes == aborted_before:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
        finally:
            stuck.close()
            await leave(members)


class ReceiveOnlyLayer(InMemoryChannelLayer):
    """Declines every listener, as the Redis layer does for channels it cannot offer."""

    def listen(self, channel: str, listener: Any) -> bool:
        return False


async def test_a_layer_that_declines_listeners_still_delivers_through_receive(
    stage: LiveServer,
) -> None:
    configure_layers({"default": {"BACKEND": f"{__name__}.ReceiveOnlyLayer"}})
    members = await join(stage, 3)
    try:
        await members[0].send(json.dumps({"action": "shout", "payload": 7}))
        for ws in members:
            assert await payloads(ws, 1) == [7]
        assert isinstance(get_channel_layer(), ReceiveOnlyLayer)
    finally:
        await leave(members)
