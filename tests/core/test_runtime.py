"""The connection runtime (`chanx.core.asgi`, `connection`, `frames`, `handshake`) on both adapters.

Each test pins one behaviour a user relies on: a handler's timeout, cancel scope and context
variables are its own; a burst is slowed, not closed; a member is in its groups when its
socket opens; a handler returning a non-message is reported; a missing layer alias leaves the
consumer usable.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import subprocess
import sys
from typing import Any, ClassVar, Literal

import anyio
import pytest

from chanx.core.authenticator import BaseAuthenticator
from chanx.core.decorators import ws_handler
from chanx.core.watchdog import live_connections
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


class Step(BaseMessage):
    action: Literal["step"] = "step"
    payload: str = ""


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: Any = None


frame_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("frame_var", default=None)


class TimeoutBody:
    send_completion = True

    @ws_handler
    async def handle_step(self, message: Step) -> Said:
        if message.payload == "asyncio":
            try:
                async with asyncio.timeout(0.05):  # entered before the handler's first await
                    await asyncio.sleep(5)
            except TimeoutError:
                return Said(payload="timed out")
        if message.payload == "anyio":
            with anyio.move_on_after(0.05) as scope:
                await asyncio.sleep(5)
            return Said(payload=f"cancelled={scope.cancelled_caught}")
        if message.payload.startswith("set:"):
            seen = frame_var.get()
            frame_var.set(message.payload)
            return Said(payload=seen)
        if message.payload == "get":
            return Said(payload=frame_var.get())
        if message.payload == "task":
            task = asyncio.current_task()
            return Said(payload=task.get_name() if task is not None else None)
        return Said(payload="ok")


async def test_a_handler_timeout_cancels_the_handler_not_the_connection(adapter: Any) -> None:
    app = adapter.app(("/t", adapter.consumer(TimeoutBody)))
    async with adapter.client(app, "/t") as client:
        await client.send_message(Step(payload="asyncio"))
        assert await client.receive_all_messages() == [{"action": "said", "payload": "timed out"}]
        await client.send_message(Step(payload="anyio"))
        assert await client.receive_all_messages() == [
            {"action": "said", "payload": "cancelled=True"}
        ]
        await client.send_message(Step(payload="x"))
        assert await client.receive_all_messages() == [{"action": "said", "payload": "ok"}]


async def test_each_frame_runs_in_its_own_task_and_context(adapter: Any) -> None:
    app = adapter.app(("/t", adapter.consumer(TimeoutBody)))
    async with adapter.client(app, "/t") as client:
        await client.send_message(Step(payload="set:first"))
        assert await client.receive_all_messages() == [{"action": "said", "payload": None}]
        await client.send_message(Step(payload="get"))
        assert await client.receive_all_messages() == [{"action": "said", "payload": None}]
        tasks = set()
        for _ in range(2):
            await client.send_message(Step(payload="task"))
            (reply,) = await client.receive_all_messages()
            tasks.add(reply["payload"])
        assert len(tasks) == 2


class GateBody:
    send_completion = True
    gate: ClassVar[asyncio.Event]

    @ws_handler
    async def handle_step(self, message: Step) -> Said:
        await self.gate.wait()
        return Said(payload=message.payload)


async def test_a_full_backlog_stops_reading_instead_of_closing(adapter: Any) -> None:
    GateBody.gate = asyncio.Event()
    app = adapter.app(("/g", adapter.consumer(GateBody), {"max_pending_frames": 2}))
    async with adapter.client(app, "/g") as client:
        for i in range(6):
            await client.send_message(Step(payload=str(i)))
        for _ in range(20):
            await asyncio.sleep(0)
        (connection,) = live_connections()
        assert connection.open
        assert connection.frames.pending == 2  # the backlog is bounded; the rest is unread
        GateBody.gate.set()
        replies = []
        for _ in range(6):
            replies += await client.receive_all_messages()
        assert [r["payload"] for r in replies] == [str(i) for i in range(6)]


class SlowAuthenticator(BaseAuthenticator):
    async def authenticate(self) -> bool:
        await asyncio.sleep(0.05)  # a database lookup
        return True


class Notify(BaseMessage):
    action: Literal["notify"] = "notify"
    payload: str


class RoomBody:
    groups: ClassVar[list[str]] = ["room"]
    send_completion = True
    authenticator_class = SlowAuthenticator

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(output_type=Said)
    async def handle_step(self, message: Step) -> None:
        await self.broadcast_message(Said(payload=message.payload))


async def test_a_member_is_in_its_groups_when_its_socket_opens(adapter: Any) -> None:
    room = adapter.consumer(RoomBody)
    app = adapter.app(("/r", room))
    async with adapter.client(app, "/r") as first:
        layer = room.get_channel_layer()
        from chanx.core.events import RELAY_TYPE

        relay = {"type": RELAY_TYPE, "wire": "-", "message": {"action": "said", "payload": 1}}
        await layer.group_send("room", relay)  # the moment the socket is open
        assert await first.receive_all_messages("group_complete") == [
            {"action": "said", "payload": 1}
        ]


class DictBody:
    send_completion = True

    @ws_handler(output_type=Said)
    async def handle_step(self, message: Step) -> Any:
        return {"action": "said", "payload": "a dict"}

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()


async def test_a_handler_returning_a_non_message_is_reported(
    adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = adapter.app(("/d", adapter.consumer(DictBody)))
    async with adapter.client(app, "/d") as client:
        with caplog.at_level(logging.ERROR, "chanx.consumer"):
            await client.send_message(Step())
            (error,) = await client.receive_all_messages()
        assert error["action"] == "error"
        assert error["payload"]["code"] == "internal_error"
        (record,) = [r for r in caplog.records if "not a message" in r.getMessage()]
        assert "Dict.handle_step returned dict" in record.getMessage()
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]


class NoLayerBody:
    channel_layer_alias = "not-configured"
    send_completion = True

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(output_type=Said)
    async def handle_step(self, message: Step) -> None:
        await self.broadcast_message(Said(payload="x"))


async def test_a_consumer_whose_layer_alias_is_missing_runs_without_a_layer(
    adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = adapter.app(("/n", adapter.consumer(NoLayerBody)))
    async with adapter.client(app, "/n") as client:
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]
        with caplog.at_level(logging.ERROR, "chanx.consumer"):
            await client.send_message(Step())
            (error,) = await client.receive_all_messages()
        assert error["payload"]["code"] == "internal_error"
        assert "'not-configured'" in caplog.text
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]


def test_serving_a_consumer_does_not_import_the_docs_code() -> None:
    code = (
        "import sys\n"
        "from chanx.core.decorators import ws_handler\n"
        "from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer\n"
        "from chanx.messages.incoming import PingMessage\n"
        "from chanx.messages.outgoing import PongMessage\n"
        "class C(AsyncJsonWebsocketConsumer):\n"
        "    @ws_handler\n"
        "    async def handle_ping(self, m: PingMessage) -> PongMessage:\n"
        "        return PongMessage()\n"
        "print(sorted(m for m in sys.modules if m.startswith('chanx.asyncapi')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


async def test_django_groups_set_in_init_are_per_connection_and_kept() -> None:
    from chanx.channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.testing.django import WebsocketCommunicator

    class PerUser(AsyncJsonWebsocketConsumer):
        groups: ClassVar[list[str]] = ["all"]
        send_completion = True

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.groups.append("extra")

        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    class Replaced(PerUser):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.groups = ["mine"]

    from channels.routing import URLRouter
    from django.urls import path

    app = URLRouter([path("a", PerUser.as_asgi()), path("b", Replaced.as_asgi())])
    async with WebsocketCommunicator(app, "/a"), WebsocketCommunicator(app, "/a"):
        assert PerUser.groups == ["all"]
    async with WebsocketCommunicator(app, "/b") as client:
        await Replaced.broadcast_event(Notify(payload="x"), groups=["mine"])
        assert await client.receive_all_messages("event_complete") == []
        assert Replaced.groups == ["all"]
