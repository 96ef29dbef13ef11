"""Clients that never read, and graceful shutdown."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core import watchdog
from chanx.core.close_codes import CloseCode
from chanx.core.process import state
from chanx.fast_channels.lifespan import lifespan, shutdown, with_lifespan
from chanx.layers import get_channel_layer
from chanx.testing.server import LiveServer
from tests.raw_clients import never_reading_client

from .conftest import News, Served, app_for, closed_with, eventually, record, recv_json

pytestmark = pytest.mark.e2e


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


async def test_a_client_that_never_reads_is_aborted_and_the_group_keeps_flowing(
    served: Served, sockets: list[socket.socket]
) -> None:
    feed = served.consumers["feed"]
    before = state.slow_consumer_closes
    async with served.connect("feed", max_size=None) as good:
        await good.send('{"action": "ping"}')
        await recv_json(good)
        sockets.append(await never_reading_client(served.server.port, "/ws/feed"))
        n, chunk = 300, "x" * 65536
        received: list[int] = []

        async def read_all() -> None:
            while len(received) < n:
                received.append(int(json.loads(await good.recv())["payload"][:6]))

        reader = asyncio.ensure_future(read_all())
        started = time.monotonic()
        async with asyncio.timeout(20):
            for i in range(n):
                await feed.broadcast_event(News(payload=f"{i:06d}{chunk}"), ["feed"])
            await reader
        await eventually(lambda: CloseCode.SLOW_CONSUMER in record.disconnects)
        assert received == list(range(n))  # no broadcast lost for the reader
        assert time.monotonic() - started < 20
    assert state.slow_consumer_closes > before
    await served.assert_serving()


async def test_without_the_watchdog_the_never_reading_client_stays(
    starlette_served: Served, sockets: list[socket.socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: the abort above is the watchdog's doing, not the server's."""
    monkeypatch.setattr(watchdog, "_abort_slow", lambda connection, stalled: None)
    feed = starlette_served.consumers["feed"]
    sockets.append(await never_reading_client(starlette_served.server.port, "/ws/feed"))
    async with asyncio.timeout(20):
        for i in range(300):
            await feed.broadcast_event(News(payload=f"{i:06d}" + "x" * 65536), ["feed"])
    await asyncio.sleep(1.0)
    assert CloseCode.SLOW_CONSUMER not in record.disconnects
    assert watchdog.live_connections()  # still open, its send blocked


async def test_shutdown_lets_the_running_handler_finish_then_closes_1001(
    starlette_served: Served,
) -> None:
    async with starlette_served.connect() as ws:
        await ws.send('{"action": "hold", "payload": 0.3}')
        async with asyncio.timeout(5):
            await record.started.wait()
        closed = await shutdown(grace=5, close_layers=False)
        assert closed >= 1
        assert await recv_json(ws) == {"action": "pong", "payload": "held"}
        code, reason = await closed_with(ws)
    assert code == CloseCode.GOING_AWAY
    assert reason == "server shutting down"
    assert not record.cancelled.is_set()


async def test_shutdown_grace_bounds_a_handler_that_does_not_finish(
    starlette_served: Served,
) -> None:
    async with starlette_served.connect() as ws:
        await ws.send('{"action": "hold", "payload": 30}')
        async with asyncio.timeout(5):
            await record.started.wait()
        started = time.monotonic()
        await shutdown(grace=0.2, close_layers=False)
        assert time.monotonic() - started < 2
        code, _ = await closed_with(ws)
    assert code == CloseCode.GOING_AWAY


async def test_uvicorn_shutdown_lets_handlers_finish_and_the_lifespan_closes_layers() -> None:
    _, consumers = app_for("starlette")
    app = Starlette(
        routes=[WebSocketRoute("/ws/open", consumers["open"].as_asgi())], lifespan=lifespan
    )
    server = LiveServer(app)
    async with server:
        layer = get_channel_layer("default")
        import websockets

        ws = await websockets.connect(server.ws_url("/ws/open"))
        await ws.send('{"action": "hold", "payload": 0.3}')
        async with asyncio.timeout(5):
            await record.started.wait()
    # uvicorn sent 1012 to the client, waited for the handler, then ran the lifespan shutdown
    code, _ = await closed_with(ws)
    assert code == CloseCode.SERVICE_RESTART
    assert not record.cancelled.is_set()
    assert layer.closed


async def test_with_lifespan_runs_shutdown_before_the_inner_teardown() -> None:
    order: list[str] = []

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def inner(app: object):  # type: ignore[no-untyped-def]
        order.append("start")
        yield {"x": 1}
        order.append("inner-stop")

    async with with_lifespan(inner)(None) as state:
        assert state == {"x": 1}
        layer = get_channel_layer("default")
    order.append("after")
    assert order == ["start", "inner-stop", "after"]
    assert layer.closed
