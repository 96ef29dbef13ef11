"""`FormatterContract`: the pytest suite every chanx formatter must pass.

Subclass it in a test module under a ``Test`` name, name your formatter and say how a client
of your wire writes and reads frames::

    from chanx.testing.formatter_contract import FormatterContract

    class TestCamelize(FormatterContract):
        formatter_name = "camelize"

        def wire_keys(self, data):  # what the client sees for this snake_case dict
            return camelize_keys(data)

The suite mounts real consumers (Starlette adapter, in-memory layer) with
`formatters = (formatter_name,)` and checks, through a `WebsocketCommunicator` that speaks
the client's wire: a round trip with nested models and a free-form dict, error frames,
completion frames, `broadcast_message` relays (also from a consumer with another wire),
event-handler results and passthrough events. It needs starlette and pytest-asyncio
(``asyncio_mode = "auto"``, or mark the subclass).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel

from chanx.core.decorators import event_handler, ws_handler
from chanx.messages.base import BaseMessage

__all__ = ["ContractEcho", "ContractEvent", "ContractNotice", "FormatterContract"]


class ContractAuthor(BaseModel):
    """A nested model (its keys are model field names)."""

    user_id: int
    display_name: str


class ContractPayload(BaseModel):
    """Fields a key formatter renames, and a free-form dict it must leave alone."""

    message_text: str
    http_status: int
    author: ContractAuthor
    extra_data: dict[str, Any] = {}


class ContractEcho(BaseMessage):
    """Sent by the client; the consumer echoes it, or broadcasts it with `relay: true`."""

    action: Literal["contract_echo"] = "contract_echo"
    payload: ContractPayload
    relay: bool = False


class ContractEvent(BaseMessage):
    """A channel-layer event; its handler answers with a `ContractNotice`."""

    action: Literal["contract_event"] = "contract_event"
    payload: ContractPayload


class ContractNotice(BaseMessage):
    """An event handler's result, and a passthrough event."""

    action: Literal["contract_notice"] = "contract_notice"
    payload: ContractPayload


def sample_payload() -> dict[str, Any]:
    """The payload the suite sends, in Python (snake_case) field names."""
    return {
        "message_text": "hello",
        "http_status": 200,
        "author": {"user_id": 7, "display_name": "Ada"},
        "extra_data": {"snake_key": 1, "camelKey": [{"inner_key": None}]},
    }


class ContractBody:
    """The consumer under test (the suite adds the adapter base and `formatters`)."""

    groups = ["formatter-contract"]
    send_completion = True

    @ws_handler(output_type=ContractEcho)
    async def handle_contract_echo(self, message: ContractEcho) -> ContractEcho | None:
        if message.relay:
            await self.broadcast_message(message)  # type: ignore[attr-defined]
            return None
        return message

    @event_handler
    async def handle_contract_event(self, event: ContractEvent) -> ContractNotice:
        return ContractNotice(payload=event.payload)


class FormatterContract:
    """Contract tests for a formatter (not collected on its own)."""

    formatter_name: ClassVar[str] = ""
    """The registered name of the formatter under test."""

    malformed_frame: ClassVar[str | bytes] = "{not json"
    """A frame that the wire cannot decode at all."""

    def wire_keys(self, data: Any) -> Any:
        """`data` (Python field names) as the client sees it; override for key formatters."""
        return data

    def client_dumps(self, data: Any) -> str | bytes:
        """Encode a frame as a client of this wire does (JSON text by default)."""
        return json.dumps(data)

    def client_loads(self, frame: str | bytes) -> Any:
        """Decode a frame as a client of this wire does (JSON by default)."""
        return json.loads(frame)

    # -- fixtures ---------------------------------------------------------------------------

    @pytest.fixture
    def consumer(self) -> type[Any]:
        """The contract consumer with `formatters = (formatter_name,)`."""
        from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer

        attributes = {"formatters": (self.formatter_name,), "passthrough_events": [ContractNotice]}
        return type("ContractConsumer", (ContractBody, AsyncJsonWebsocketConsumer), attributes)

    @pytest.fixture
    def plain_consumer(self) -> type[Any]:
        """The same consumer on the default JSON wire, without formatters."""
        from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer

        return type("PlainContractConsumer", (ContractBody, AsyncJsonWebsocketConsumer), {})

    @pytest.fixture
    async def app(self, consumer: type[Any], plain_consumer: type[Any]) -> AsyncIterator[Any]:
        """`/ws` serves the formatter's consumer, `/plain` the JSON one."""
        from starlette.applications import Starlette
        from starlette.routing import WebSocketRoute

        from chanx.layers import close_layers

        yield Starlette(
            routes=[
                WebSocketRoute("/ws", consumer.as_asgi()),
                WebSocketRoute("/plain", plain_consumer.as_asgi()),
            ]
        )
        await close_layers()

    def client(self, app: Any, path: str = "/ws") -> Any:
        """A communicator that speaks this formatter's wire."""
        from chanx.testing.communicator import WebsocketCommunicator

        return WebsocketCommunicator(app, path, loads=self.client_loads, dumps=self.client_dumps)

    def echo(self, relay: bool = False) -> Any:
        """The echo frame, in wire keys."""
        return self.wire_keys(
            {"action": "contract_echo", "payload": sample_payload(), "relay": relay}
        )

    # -- the contract ----------------------------------------------------------------------

    def test_the_formatter_is_registered_and_conforms(self, consumer: type[Any]) -> None:
        from chanx.kernel import get_plugin_host
        from chanx.kernel.contracts import Formatter

        formatter = get_plugin_host().formatters.get(self.formatter_name)()
        assert isinstance(formatter, Formatter)
        assert formatter.name == self.formatter_name
        assert consumer.__chanx_plan__.codec.formatters[0].name == self.formatter_name

    async def test_a_message_round_trips_unchanged(self, app: Any) -> None:
        async with self.client(app) as client:
            await client.send_message(self.echo())
            assert await client.receive_all_messages() == [self.echo()]

    async def test_free_form_dict_keys_are_never_rewritten(self, app: Any) -> None:
        async with self.client(app) as client:
            await client.send_message(self.echo())
            (frame,) = await client.receive_all_messages()
            extra = frame[self.wire_keys({"payload": 1}).popitem()[0]]
            assert extra[self.wire_keys({"extra_data": 1}).popitem()[0]] == {
                "snake_key": 1,
                "camelKey": [{"inner_key": None}],
            }

    async def test_errors_come_as_error_frames_and_the_connection_stays_open(
        self, app: Any
    ) -> None:
        async with self.client(app) as client:
            await client.send_message(self.wire_keys({"action": "nope"}))
            (unknown,) = await client.receive_all_messages()
            assert unknown["action"] == "error"
            assert unknown["payload"]["code"] == "unknown_action"
            bad = self.echo()
            bad["payload"] = {"nothing": "here"}
            await client.send_message(bad)
            (invalid,) = await client.receive_all_messages()
            assert invalid["payload"]["code"] == "invalid_message"
            frame = self.malformed_frame
            await (
                client.send_bytes(frame) if isinstance(frame, bytes) else client.send_text(frame)
            )
            (malformed,) = await client.receive_all_messages()
            assert malformed["payload"]["code"] in ("invalid_json", "invalid_frame")
            await client.send_message(self.echo())
            assert await client.receive_all_messages() == [self.echo()]

    async def test_completion_frames_are_in_the_wire_format(self, app: Any) -> None:
        async with self.client(app) as client:
            await client.send_message(self.echo())
            frames = await client.receive_until("complete")
            assert [f["action"] for f in frames] == ["contract_echo", "complete"]

    async def test_broadcast_relays_reach_every_member(self, app: Any) -> None:
        async with self.client(app) as sender, self.client(app) as member:
            await sender.send_message(self.echo(relay=True))
            got = await sender.receive_all_messages(("complete", "group_complete"))
            assert got == [self.echo(relay=True)]
            got = await member.receive_all_messages("group_complete")
            assert got == [self.echo(relay=True)]

    async def test_relays_from_a_json_consumer_are_re_encoded(self, app: Any) -> None:
        from chanx.testing.communicator import WebsocketCommunicator

        async with (
            WebsocketCommunicator(app, "/plain") as sender,
            self.client(app) as member,
        ):
            plain = {"action": "contract_echo", "payload": sample_payload(), "relay": True}
            await sender.send_message(plain)
            await sender.receive_all_messages(("complete", "group_complete"))
            assert await member.receive_all_messages("group_complete") == [self.echo(relay=True)]

    async def test_event_handler_results_and_passthrough_events(
        self, app: Any, consumer: type[Any]
    ) -> None:
        async with self.client(app) as client:
            event = ContractEvent.model_validate({"payload": sample_payload()})
            await consumer.broadcast_event(event)
            (notice,) = await client.receive_all_messages("event_complete")
            expected = self.wire_keys({"action": "contract_notice", "payload": sample_payload()})
            assert notice == expected
            notice_event = ContractNotice.model_validate({"payload": sample_payload()})
            await consumer.broadcast_event(notice_event)
            assert await client.receive_all_messages("event_complete") == [expected]
