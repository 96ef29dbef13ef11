"""msgpack: binary frames, a clear answer to JSON-only clients, and combining with camelize."""

from __future__ import annotations

import json
from typing import Literal

import msgpack
import pytest
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.core.plan import ConsumerDefinitionError
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.testing import WebsocketCommunicator


class Note(BaseMessage):
    action: Literal["note"] = "note"
    note_text: str


class NoteConsumer(AsyncJsonWebsocketConsumer):
    formatters = ("msgpack",)
    send_completion = True
    channel_layer_alias = None

    @ws_handler
    async def handle_note(self, message: Note) -> Note:
        return message


def app() -> Starlette:
    return Starlette(routes=[WebSocketRoute("/ws", NoteConsumer.as_asgi())])


async def test_frames_are_binary_messagepack() -> None:
    async with WebsocketCommunicator(app(), "/ws") as client:
        await client.send_bytes(msgpack.packb({"action": "note", "note_text": "hi"}))
        frame = await client.receive_frame()
        assert isinstance(frame, bytes)
        assert msgpack.unpackb(frame) == {"payload": None, "action": "note", "note_text": "hi"}
        assert msgpack.unpackb(await client.receive_frame()) == {
            "action": "complete",
            "payload": None,
        }


async def test_a_json_only_client_gets_one_json_text_error_and_stays_connected() -> None:
    async with WebsocketCommunicator(app(), "/ws") as client:  # a JSON client
        await client.send_message({"action": "note", "note_text": "hi"})
        frames = await client.receive_all_messages()  # json.loads on every frame: all text
        assert frames == [
            {
                "action": "error",
                "payload": {
                    "code": "unsupported_frame",
                    "message": (
                        "This endpoint speaks MessagePack: send binary MessagePack frames, "
                        "not text."
                    ),
                    "errors": None,
                },
            }
        ]
        await client.send_bytes(msgpack.packb({"action": "note", "note_text": "now binary"}))
        assert msgpack.unpackb(await client.receive_frame())["note_text"] == "now binary"


async def test_a_non_map_frame_is_an_error_frame() -> None:
    client = WebsocketCommunicator(app(), "/ws", loads=msgpack.unpackb, dumps=msgpack.packb)
    async with client:
        await client.send_bytes(msgpack.packb([1, 2]))
        (error,) = await client.receive_all_messages()
        assert error["payload"] == {
            "code": "invalid_frame",
            "message": "Frame must be a MessagePack map.",
            "errors": None,
        }


def test_frames_are_smaller_than_json() -> None:
    message = Note(note_text="x" * 10)
    frame = NoteConsumer.__chanx_plan__.codec.encode(message)
    assert isinstance(frame, bytes)
    assert len(frame) < len(message.model_dump_json())


def test_it_combines_with_camelize() -> None:
    pytest.importorskip("chanx_format_camelize")

    class Both(AsyncJsonWebsocketConsumer):
        formatters = ("camelize", "msgpack")
        channel_layer_alias = None

        @ws_handler
        async def handle_note(self, message: Note) -> Note:
            return message

    codec = Both.__chanx_plan__.codec
    assert codec.wire_id == "camelize+msgpack"
    frame = codec.encode(Note(note_text="a"))
    assert msgpack.unpackb(frame) == {"payload": None, "action": "note", "noteText": "a"}
    decoded = Both.__chanx_plan__.decoder.decode_binary(frame)
    assert decoded == Note(note_text="a")


def test_two_wire_owners_are_rejected_at_class_creation() -> None:
    from chanx.kernel import get_plugin_host, reset_plugin_host

    host = get_plugin_host()

    class Plugin:
        from chanx.kernel import hookimpl

        @hookimpl
        def chanx_register_formatters(self, registry):  # type: ignore[no-untyped-def]
            from chanx_format_msgpack import MsgpackFormatter

            class Other(MsgpackFormatter):
                name = "msgpack2"

            registry.add("msgpack2", Other)

    host.register(Plugin(), name="format-msgpack2-test")
    try:
        with pytest.raises(ConsumerDefinitionError, match="both own the wire codec"):

            class Twice(AsyncJsonWebsocketConsumer):
                formatters = ("msgpack", "msgpack2")
    finally:
        reset_plugin_host()


def test_json_consumers_refuse_binary_frames_as_before() -> None:
    from chanx.core.codec import FrameError

    class Plain(AsyncJsonWebsocketConsumer):
        channel_layer_alias = None

    with pytest.raises(FrameError, match="send JSON text"):
        Plain.__chanx_plan__.decoder.decode_binary(json.dumps({}).encode())


class RenewingAuthenticator:
    """Accepts everyone; `renew` refreshes with `{"ok": bool}`."""

    refresh_action = "renew"
    expires_at = None
    uses_cookies = False
    renewed: list[object] = []

    def __init__(self, scope: object) -> None:
        self.user = None

    async def authenticate(self) -> bool:
        return True

    async def refresh(self, payload: object) -> None:
        RenewingAuthenticator.renewed.append(payload)


class RenewingNotes(NoteConsumer):
    authenticator_class = RenewingAuthenticator


async def test_a_credential_refresh_is_decoded_from_messagepack() -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", RenewingNotes.as_asgi())])
    async with WebsocketCommunicator(app, "/ws") as client:
        await client.send_bytes(msgpack.packb({"action": "renew", "payload": {"ok": True}}))
        reply = msgpack.unpackb(await client.receive_frame())
        assert reply["action"] == "authentication"
        assert reply["payload"]["status_text"] == "Credentials refreshed"
    assert RenewingAuthenticator.renewed == [{"ok": True}]


def test_msgpack_messages_are_documented_with_their_content_type() -> None:
    from chanx.asyncapi import build_api_model, render

    model = build_api_model(app())
    assert {m.content_type for m in model.messages.values()} == {"application/msgpack"}
    document = json.loads(render(model))
    assert {m["contentType"] for m in document["components"]["messages"].values()} == {
        "application/msgpack"
    }
    page = render(model, "html")
    assert "application/msgpack" in str(page)
