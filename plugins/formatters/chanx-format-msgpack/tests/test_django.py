"""The formatters on the Django Channels adapter (the same runtime as on Starlette)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Literal

import msgpack
import pytest

pytest.importorskip("channels")
pytest.importorskip("chanx_format_camelize")

from chanx.testing.django import setup_django

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "django_chat"
os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
setup_django("chat_project.settings", path=EXAMPLE)

from channels.routing import URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from chanx.core.decorators import ws_handler  # noqa: E402
from chanx.messages.base import BaseMessage  # noqa: E402
from chanx.testing.django import WebsocketCommunicator  # noqa: E402


class DjangoNote(BaseMessage):
    action: Literal["django_note"] = "django_note"
    note_text: str


class NoteBody:
    send_completion = True

    @ws_handler
    async def handle_django_note(self, message: DjangoNote) -> DjangoNote:
        return message


class MsgpackNotes(NoteBody, AsyncJsonWebsocketConsumer):
    formatters = ("camelize", "msgpack")


class CamelNotes(NoteBody, AsyncJsonWebsocketConsumer):
    camelize = True


def app() -> URLRouter:
    return URLRouter(
        [path("msgpack/", MsgpackNotes.as_asgi()), path("camel/", CamelNotes.as_asgi())]
    )


async def test_camelize_on_django() -> None:
    async with WebsocketCommunicator(app(), "/camel/") as client:
        await client.send_message({"action": "django_note", "noteText": "hi"})
        assert await client.receive_all_messages() == [
            {"payload": None, "action": "django_note", "noteText": "hi"}
        ]


async def test_msgpack_frames_on_django() -> None:
    async with WebsocketCommunicator(app(), "/msgpack/") as client:
        await client.send_bytes(msgpack.packb({"action": "django_note", "noteText": "hi"}))
        reply = await client.receive_output()
        assert msgpack.unpackb(reply["bytes"]) == {
            "payload": None,
            "action": "django_note",
            "noteText": "hi",
        }
        complete = await client.receive_output()
        assert msgpack.unpackb(complete["bytes"])["action"] == "complete"
        await client.send_text('{"action": "django_note", "noteText": "json"}')
        (error,) = await client.receive_all_messages()  # JSON text, readable by a JSON client
        assert error["payload"]["code"] == "unsupported_frame"
