"""The slow-reader watchdog: one task per event loop that aborts connections whose send has
been blocked longer than their `send_timeout`, and the registry of live connections."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest

from chanx.core.close_codes import CloseCode
from chanx.core.connection import Connection
from chanx.core.process import state
from chanx.core.watchdog import live_connections, stop_watchdog, unwatch, watch


class StuckClient:
    """An ASGI `send` that blocks until `release` is set, as for a client that stopped reading."""

    def __init__(self) -> None:
        self.release = asyncio.Event()

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "websocket.send":
            await self.release.wait()


class SlowConsumer:
    """Names the connection's consumer in the watchdog's log line."""


async def serving(send_timeout: float, blocked: bool = True) -> tuple[Connection, StuckClient]:
    """An open, watched connection whose serving task is sending a frame (blocked or not)."""
    client = StuckClient()
    connection = Connection(client, SlowConsumer())
    await connection.accept()
    if not blocked:
        client.release.set()

    async def serve() -> None:
        await connection.send("frame")
        await asyncio.Event().wait()  # serve until aborted

    connection.task = asyncio.get_running_loop().create_task(serve())
    watch(connection, send_timeout)
    await asyncio.sleep(0)
    return connection, client


async def aborted(connection: Connection) -> None:
    """Wait until the watchdog has cancelled the connection's serving task."""
    assert connection.task is not None
    async with asyncio.timeout(2):
        await asyncio.gather(connection.task, return_exceptions=True)


async def test_a_send_blocked_past_its_timeout_is_aborted_as_a_slow_consumer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    state.slow_warnings.reset()  # an abort in an earlier test may hold back this one's line
    before = state.slow_consumer_closes
    with caplog.at_level(logging.WARNING, logger="chanx.security"):
        connection, _ = await serving(send_timeout=0.1)
        await aborted(connection)
    assert connection.aborted == CloseCode.SLOW_CONSUMER
    assert connection.close_code == CloseCode.SLOW_CONSUMER
    assert not connection.open
    assert state.slow_consumer_closes == before + 1
    (record,) = [r for r in caplog.records if "slow consumer" in r.getMessage()]
    message = record.getMessage()
    assert message.startswith("aborted a slow consumer: SlowConsumer did not read for ")
    assert message.endswith(f" s ({before + 1} so far)")
    stalled = float(message.split(" did not read for ")[1].split(" s ")[0])
    assert 0.1 <= stalled < 2
    unwatch(connection)


async def test_only_the_connection_blocked_past_its_own_timeout_is_aborted() -> None:
    patient, _ = await serving(send_timeout=60)
    reading, _ = await serving(send_timeout=0.1, blocked=False)
    slow, _ = await serving(send_timeout=0.1)
    await aborted(slow)
    assert patient.aborted is None
    assert reading.aborted is None
    assert set(live_connections()) == {patient, reading, slow}
    for connection in (patient, reading, slow):
        unwatch(connection)
        if connection.task is not None:
            connection.task.cancel()


async def test_the_watchdog_ticks_at_a_quarter_of_the_shortest_timeout_within_bounds() -> None:
    connection, client = await serving(send_timeout=60)
    (dog,) = [d for loop, d in state.watchdogs.items() if loop is asyncio.get_running_loop()]
    assert dog.tick == 0.5  # at most every half second
    other, _ = await serving(send_timeout=1.0)
    assert dog.tick == 0.25
    third, _ = await serving(send_timeout=0.01)
    assert dog.tick == 0.02  # at least 20 ms
    for each in (connection, other, third):
        unwatch(each)
        assert each.task is not None
        each.task.cancel()
    assert dog.tick == 0.5  # back to the default once nobody is watched
    client.release.set()


async def test_unwatching_every_connection_stops_the_watching_task() -> None:
    connection, client = await serving(send_timeout=60)
    (dog,) = [d for loop, d in state.watchdogs.items() if loop is asyncio.get_running_loop()]
    task = dog.task
    assert task is not None
    assert not task.done()
    assert live_connections() == [connection]
    unwatch(connection)
    unwatch(connection)  # twice: no error
    assert live_connections() == []
    assert dog.task is None
    async with asyncio.timeout(1):
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    client.release.set()
    assert connection.task is not None
    connection.task.cancel()


async def test_stop_watchdog_stops_the_task_and_forgets_the_loops_connections() -> None:
    connection, client = await serving(send_timeout=60)
    (dog,) = [d for loop, d in state.watchdogs.items() if loop is asyncio.get_running_loop()]
    task = dog.task
    assert task is not None
    await stop_watchdog()
    assert task.cancelled()
    assert dog.task is None
    assert live_connections() == []
    await stop_watchdog()  # nothing left to stop: no error
    client.release.set()
    assert connection.task is not None
    connection.task.cancel()


async def test_a_connection_unwatched_before_the_tick_is_not_aborted() -> None:
    connection, _ = await serving(send_timeout=0.1)
    keeper, _ = await serving(send_timeout=0.1, blocked=False)
    unwatch(connection)
    slow, _ = await serving(send_timeout=0.1)
    await aborted(slow)  # a tick has passed since
    assert connection.aborted is None
    for each in (connection, keeper):
        unwatch(each)
        assert each.task is not None
        each.task.cancel()
    unwatch(slow)


class ServerTransport:
    """Stands in for the server's transport of a connection (`chanx.core.transport.locate`)."""

    def __init__(self, closing: bool) -> None:
        self._closing = closing

    def closing(self) -> bool:
        return self._closing


class FullBacklog:
    """A frame runner whose backlog is full: the client is not reading."""

    full = True


class Server:
    """The server's transports by connection (`locate`), and the ones released (`release`)."""

    def __init__(self) -> None:
        self.transports: dict[Connection, ServerTransport] = {}
        self.released: list[Connection] = []

    def closing(self, connection: Connection, closing: bool = True) -> None:
        self.transports[connection] = ServerTransport(closing)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Server:
    import chanx.core.watchdog as watchdog

    server = Server()
    monkeypatch.setattr(watchdog, "locate", server.transports.get)
    monkeypatch.setattr(watchdog, "release", server.released.append)
    return server


async def test_at_shutdown_a_blocked_connection_is_aborted_with_1012_after_its_grace(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    client = StuckClient()
    connection = Connection(client, SlowConsumer())
    await connection.accept()
    server.closing(connection)
    connection.task = asyncio.get_running_loop().create_task(connection.send("frame"))
    await asyncio.sleep(0)
    with caplog.at_level(logging.INFO, logger="chanx.consumer"):
        watch(connection, send_timeout=60, shutdown_grace=0.1)
        assert connection.send_since > 0
        await aborted(connection)
    assert connection.aborted == CloseCode.SERVICE_RESTART
    assert server.released == [connection]
    (record,) = [r for r in caplog.records if "server is closing it" in r.getMessage()]
    message = record.getMessage()
    assert message.startswith(f"connection {connection.id} (SlowConsumer): the server is closing")
    stuck = float(message.split("stuck for ")[1].split(" s since")[0])
    assert 0.1 <= stuck < 2
    unwatch(connection)


async def test_at_shutdown_a_connection_with_a_full_backlog_is_aborted_after_its_grace(
    server: Server,
) -> None:
    connection, _ = await serving(send_timeout=60, blocked=False)
    connection.frames = FullBacklog()
    server.closing(connection)
    unwatch(connection)
    watch(connection, send_timeout=0.2, shutdown_grace=0.05)  # ticks every 50 ms
    await aborted(connection)
    assert connection.aborted == CloseCode.SERVICE_RESTART
    assert server.released == [connection]
    unwatch(connection)


async def test_a_stuck_connection_is_left_alone_until_its_transport_closes_and_its_grace_ends(
    server: Server,
) -> None:
    open_backlog, _ = await serving(send_timeout=60, blocked=False)
    open_backlog.frames = FullBacklog()
    server.closing(open_backlog, closing=False)
    open_blocked, _ = await serving(send_timeout=60)
    server.closing(open_blocked, closing=False)
    reading, _ = await serving(send_timeout=60, blocked=False)
    server.closing(reading)
    patient, _ = await serving(send_timeout=60, blocked=False)
    patient.frames = FullBacklog()
    server.closing(patient)
    unwatch(patient)
    watch(patient, send_timeout=0.2, shutdown_grace=60)  # closing, but within its grace
    closing, _ = await serving(send_timeout=0.2, blocked=False)
    closing.frames = FullBacklog()
    server.closing(closing)
    unwatch(closing)
    watch(closing, send_timeout=0.2, shutdown_grace=0.05)
    await aborted(closing)  # two ticks at least: past the grace of 0.05 s
    assert closing.aborted == CloseCode.SERVICE_RESTART
    for each in (open_backlog, open_blocked, reading, patient):
        assert each.aborted is None
        unwatch(each)
        assert each.task is not None
        each.task.cancel()
    unwatch(closing)
