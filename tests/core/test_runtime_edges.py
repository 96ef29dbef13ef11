"""Edge cases of the runtime and the test communicator found while writing the guide."""

from __future__ import annotations

import logging
from typing import ClassVar, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import event_handler, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.testing.communicator import WebsocketCommunicator


class NamePayload(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    user_name: str = Field(alias="userName")


class Renamed(BaseMessage):
    action: Literal["renamed"] = "renamed"
    payload: NamePayload


async def test_events_with_field_aliases_travel_by_alias_and_are_handled() -> None:
    class C(AsyncJsonWebsocketConsumer):
        send_completion = True
        groups: ClassVar[list[str]] = ["g"]

        @event_handler
        async def handle_renamed(self, event: Renamed) -> Renamed:
            return event

    app = Starlette(routes=[WebSocketRoute("/c", C.as_asgi())])
    async with WebsocketCommunicator(app, "/c") as client:
        await C.broadcast_event(Renamed(payload=NamePayload(user_name="ann")))
        assert await client.receive_all_messages("event_complete") == [
            {"action": "renamed", "payload": {"userName": "ann"}}
        ]


async def test_post_authentication_failure_closes_with_internal_error_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class C(AsyncJsonWebsocketConsumer):
        async def post_authentication(self) -> None:
            raise RuntimeError("lookup failed: secret")

    app = Starlette(routes=[WebSocketRoute("/c", C.as_asgi())])
    client = WebsocketCommunicator(app, "/c")
    with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
        await client.connect()
        await client.assert_closed(1011)
    await client.disconnect()
    assert any("lookup failed" in (r.exc_text or "") for r in caplog.records)


class Typed(BaseMessage, abstract=True):
    discriminator_field: ClassVar[str] = "type"


class Hello(Typed):
    type: Literal["hello"] = "hello"


class Fanout(BaseMessage):
    action: Literal["fanout"] = "fanout"
    payload: None = None


async def test_communicator_sees_completion_frames_with_a_custom_discriminator() -> None:
    class C(AsyncJsonWebsocketConsumer):
        send_completion = True
        discriminator_field = "type"

        @ws_handler
        async def handle_hello(self, message: Hello) -> Hello:
            return message

    app = Starlette(routes=[WebSocketRoute("/c", C.as_asgi())])
    async with WebsocketCommunicator(app, "/c", discriminator_field="type") as client:
        await client.send_message(Hello())
        assert await client.receive_all_messages() == [{"type": "hello", "payload": None}]


async def test_repeated_stop_actions_wait_for_each_occurrence() -> None:
    class C(AsyncJsonWebsocketConsumer):
        send_completion = True
        groups: ClassVar[list[str]] = ["a", "b"]

        @ws_handler
        async def handle_fanout(self, message: Fanout) -> None:
            await self.broadcast_message(message)  # to both groups: two relays

    app = Starlette(routes=[WebSocketRoute("/c", C.as_asgi())])
    async with WebsocketCommunicator(app, "/c") as client:
        await client.send_message(Fanout())
        frames = await client.receive_all_messages(("complete", "group_complete", "group_complete"))
        assert frames == [{"action": "fanout", "payload": None}] * 2
        assert await client.receive_nothing()


async def test_disconnect_hook_runs_only_for_authenticated_connections_with_the_real_code() -> None:
    from chanx.core.authenticator import BaseAuthenticator

    seen: list[tuple[str, int]] = []

    class Gate(BaseAuthenticator):
        async def authenticate(self) -> bool:
            return self.get_query_param("ok") == "1"

    class C(AsyncJsonWebsocketConsumer):
        authenticator_class = Gate

        async def disconnect(self, code: int) -> None:
            seen.append(("disconnect", code))

    app = Starlette(routes=[WebSocketRoute("/c", C.as_asgi())])
    refused = WebsocketCommunicator(app, "/c?ok=0")
    await refused.connect()
    await refused.assert_closed(4401)
    await refused.disconnect()
    assert seen == []
    accepted = WebsocketCommunicator(app, "/c?ok=1")
    await accepted.connect()
    await accepted.disconnect(code=4000)
    assert seen == [("disconnect", 4000)]


async def test_join_and_leave_group_at_runtime() -> None:
    class Join(BaseMessage):
        action: Literal["join"] = "join"
        payload: str

    class Leave(BaseMessage):
        action: Literal["leave"] = "leave"
        payload: str

    class C(AsyncJsonWebsocketConsumer):
        send_completion = True

        @ws_handler
        async def handle_join(self, message: Join) -> None:
            await self.join_group(message.payload)

        @ws_handler
        async def handle_leave(self, message: Leave) -> None:
            await self.leave_group(message.payload)

        @ws_handler
        async def handle_fanout(self, message: Fanout) -> None:
            await self.broadcast_message(message, groups=["room"])

    app = Starlette(routes=[WebSocketRoute("/c", C.as_asgi())])
    async with WebsocketCommunicator(app, "/c") as client:
        await client.send_message(Join(payload="room"))
        await client.receive_all_messages()
        await client.send_message(Fanout())
        assert await client.receive_all_messages(("complete", "group_complete")) == [
            {"action": "fanout", "payload": None}
        ]
        await client.send_message(Leave(payload="room"))
        await client.receive_all_messages()
        await client.send_message(Fanout())
        assert await client.receive_all_messages() == []
        assert await client.receive_nothing()
