"""`Connection`: the one owner of a connection's state, its sends and its close."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import MutableMapping
from typing import Any

import pytest

from chanx.core.close_codes import MAX_REASON_BYTES
from chanx.core.connection import Connection, ConnectionState


class Transport:
    """An ASGI `send` that records what it gets; `gate` blocks it, `fail` makes it raise."""

    def __init__(self) -> None:
        self.sent: list[MutableMapping[str, Any]] = []
        self.gate: asyncio.Event | None = None
        self.fail: BaseException | None = None

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.sent.append(message)


async def test_accept_opens_and_frames_go_out_as_text_or_bytes() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.send("early")  # nothing before accept
    await connection.accept("chanx.token")
    assert connection.state is ConnectionState.OPEN
    await connection.send("text")
    await connection.send(b"\x01")
    assert transport.sent == [
        {"type": "websocket.accept", "subprotocol": "chanx.token"},
        {"type": "websocket.send", "text": "text"},
        {"type": "websocket.send", "bytes": b"\x01"},
    ]


async def test_close_sends_one_close_with_a_clipped_reason_and_nothing_after() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    await connection.close()
    await connection.close(4000, "again")  # once only
    await connection.send("late")
    assert transport.sent[1:] == [{"type": "websocket.close", "code": 1000, "reason": ""}]
    assert connection.state is ConnectionState.CLOSED
    assert connection.send_since == 0.0

    other = Transport()
    connection = Connection(other)
    await connection.accept()
    await connection.close(4403, "é" * 100)
    (close,) = other.sent[1:]
    assert close["code"] == 4403
    assert len(close["reason"].encode()) <= MAX_REASON_BYTES


async def test_a_send_in_progress_is_stamped_for_the_watchdog() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.gate = asyncio.Event()
    sending = asyncio.ensure_future(connection.send("blocked"))
    await asyncio.sleep(0)
    assert connection.send_since > 0.0
    transport.gate.set()
    await sending
    assert connection.send_since == 0.0
    closing = asyncio.ensure_future(connection.close())
    transport.gate = asyncio.Event()
    await asyncio.sleep(0)
    assert connection.send_since > 0.0  # a close to a client that does not read, too
    transport.gate.set()
    await closing
    assert connection.send_since == 0.0


async def test_a_departed_client_makes_send_mark_closed_and_close_stay_quiet() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.fail = OSError("client disconnected")
    await connection.send("to nobody")  # no exception: expected after a disconnect
    assert connection.state is ConnectionState.CLOSED
    reopened = Connection(transport)
    reopened.state = ConnectionState.OPEN
    await reopened.close()  # the peer is gone: the close is not an error either
    assert reopened.state is ConnectionState.CLOSED


async def test_a_failing_send_that_is_not_a_disconnect_propagates() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.fail = RuntimeError("a bug")
    with pytest.raises(RuntimeError, match="a bug"):
        await connection.send("x")
    assert connection.send_since == 0.0


async def test_abort_needs_a_serving_task_and_happens_once() -> None:
    connection = Connection(Transport())
    assert connection.abort(4499) is False  # no serving task yet
    connection.task = asyncio.ensure_future(asyncio.Event().wait())
    assert connection.abort(4499) is True
    assert connection.abort(4499) is False
    assert connection.aborted == 4499
    assert connection.state is ConnectionState.CLOSED
    with pytest.raises(asyncio.CancelledError):
        await connection.task


async def test_the_expiry_timer_fires_once_and_can_be_disarmed() -> None:
    import time

    connection = Connection(Transport())
    await connection.accept()
    fired = asyncio.Event()

    async def expire() -> None:
        fired.set()

    connection.arm_expiry(time.time() - 1, expire)  # already past: fires at once
    await asyncio.wait_for(fired.wait(), 1)
    fired.clear()
    connection.arm_expiry(time.time() + 0.05, expire)
    connection.disarm_expiry()
    await asyncio.sleep(0.1)
    assert not fired.is_set()
    connection.arm_expiry(None, expire)  # no expiry
    await connection.close()
    connection.arm_expiry(time.time(), expire)  # a closed connection never expires
    await asyncio.sleep(0.02)
    assert not fired.is_set()


async def test_send_now_sends_within_the_call_when_the_send_does_not_suspend() -> None:
    transport = Transport()
    connection = Connection(transport)
    assert connection.send_now("early") is True  # not open: dropped, nothing sent
    await connection.accept()
    assert connection.send_now("text") is True
    assert connection.send_now(b"\x02") is True
    assert transport.sent[1:] == [
        {"type": "websocket.send", "text": "text"},
        {"type": "websocket.send", "bytes": b"\x02"},
    ]
    assert connection.send_since == 0.0


async def test_send_now_finishes_a_suspended_send_in_a_task_stamped_for_the_watchdog() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.gate = asyncio.Event()  # the server's buffer is full: its send suspends
    pending = connection.send_now("slow")
    assert isinstance(pending, asyncio.Task)
    await asyncio.sleep(0)
    assert connection.send_since > 0.0  # a blocked send, as the watchdog sees it
    assert transport.sent[1:] == []
    transport.gate.set()
    await pending
    assert transport.sent[1:] == [{"type": "websocket.send", "text": "slow"}]
    assert connection.send_since == 0.0


async def test_send_now_cancelled_while_suspended_stops_the_server_send() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.gate = asyncio.Event()
    pending = connection.send_now("never")
    assert isinstance(pending, asyncio.Task)
    await asyncio.sleep(0)
    pending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pending
    transport.gate.set()
    await asyncio.sleep(0)
    assert transport.sent[1:] == []
    assert connection.send_since == 0.0


async def test_send_now_to_a_departed_client_marks_the_connection_closed() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.fail = ConnectionResetError("gone")
    assert connection.send_now("lost") is True
    assert connection.state is ConnectionState.CLOSED
    assert connection.send_since == 0.0

    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.gate = asyncio.Event()
    pending = connection.send_now("lost later")
    assert isinstance(pending, asyncio.Task)
    transport.fail = ConnectionResetError("gone")
    transport.gate.set()
    await pending  # the OSError is taken, not raised
    assert connection.state is ConnectionState.CLOSED


async def test_send_now_waits_at_a_closed_gate_and_awaits_other_awaitables() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    connection.gate = asyncio.Event()  # daphne's buffer is over its mark
    pending = connection.send_now("held")
    assert isinstance(pending, asyncio.Task)
    await asyncio.sleep(0)
    assert transport.sent[1:] == []
    connection.gate.set()
    await pending
    assert transport.sent[1:] == [{"type": "websocket.send", "text": "held"}]

    sent: list[MutableMapping[str, Any]] = []

    def future_send(message: MutableMapping[str, Any]) -> asyncio.Future[None]:
        sent.append(message)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    other = Connection(future_send)
    other.state = ConnectionState.OPEN
    pending = other.send_now("via a future")
    assert isinstance(pending, asyncio.Task)
    await pending
    assert sent == [{"type": "websocket.send", "text": "via a future"}]


async def test_send_now_raises_what_the_server_send_raises_besides_a_departure() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.fail = RuntimeError("broken server")
    with pytest.raises(RuntimeError, match="broken server"):
        connection.send_now("x")
    assert connection.send_since == 0.0
    assert connection.state is ConnectionState.OPEN


class ChatConsumer:
    """Names the connection's consumer in log records."""


async def test_each_frame_dropped_for_a_departed_client_is_logged_with_the_consumer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = Transport()
    connection = Connection(transport, ChatConsumer())
    await connection.accept()
    transport.gate = asyncio.Event()
    suspended = connection.send_now("lost later")
    assert isinstance(suspended, asyncio.Task)
    with caplog.at_level(logging.DEBUG, logger="chanx.consumer"):
        transport.fail = ConnectionResetError("gone")
        transport.gate.set()
        await suspended
        connection.state = ConnectionState.OPEN
        transport.gate = None
        assert connection.send_now("lost at once") is True
        connection.state = ConnectionState.OPEN
        await connection.send("lost in send")
    assert [r.getMessage() for r in caplog.records] == [
        "ChatConsumer: a frame to a disconnected client was dropped"
    ] * 3


async def test_a_suspended_send_now_is_stamped_before_its_task_runs() -> None:
    transport = Transport()
    connection = Connection(transport)
    await connection.accept()
    transport.gate = asyncio.Event()
    pending = connection.send_now("slow")
    assert isinstance(pending, asyncio.Task)
    stamped = connection.send_since
    assert stamped > 0.0
    await asyncio.sleep(0)
    assert connection.send_since == stamped  # the task keeps the time the send started
    transport.gate.set()
    await pending


async def test_a_pending_send_through_another_awaitable_is_stamped_for_the_watchdog() -> None:
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def future_send(message: MutableMapping[str, Any]) -> asyncio.Future[None]:
        return done

    connection = Connection(future_send)
    connection.state = ConnectionState.OPEN
    pending = connection.send_now("via a future")
    assert isinstance(pending, asyncio.Task)
    await asyncio.sleep(0)
    assert connection.send_since > 0.0
    done.set_result(None)
    await pending
    assert connection.send_since == 0.0


async def test_close_moves_a_protocol_code_into_the_application_range_on_daphne() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def handle_reply(protocol: object, message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    handle_reply.__module__ = "daphne.server"  # daphne's send: partial(handle_reply, protocol)
    connection = Connection(functools.partial(handle_reply, object()))
    connection.state = ConnectionState.OPEN
    await connection.close(1011, "bug")
    assert sent == [{"type": "websocket.close", "code": 4011, "reason": "bug"}]
    assert connection.close_code == 1011
