"""Topics in the documentation: one channel per topic class, its operations, the envelope."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.asyncapi import build_api_model, render
from chanx.asyncapi.asyncapi3 import to_asyncapi3
from chanx.core.decorators import event_handler, ws_handler
from chanx.core.topic import Topic
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


class Post(BaseMessage):
    """A message posted to a room."""

    action: Literal["post"] = "post"
    payload: str


class Posted(BaseMessage):
    """A post, pushed to the room."""

    action: Literal["posted"] = "posted"
    payload: str


class Tick(BaseMessage):
    action: Literal["tick"] = "tick"
    payload: int


class Ticked(BaseMessage):
    action: Literal["ticked"] = "ticked"
    payload: str


class RoomTopic(Topic[Posted | Tick]):
    """One chat room."""

    pattern = "room/{room_id}"
    presence_events = True
    track_presence = True

    @ws_handler
    async def handle_post(self, message: Post) -> None:
        await RoomTopic.broadcast(self.topic, Posted(payload=message.payload))

    @event_handler
    async def on_tick(self, event: Tick) -> Ticked:
        return Ticked(payload=str(event.payload))


class Rooms(AsyncJsonWebsocketConsumer):
    topics = [RoomTopic]

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()


app = Starlette(routes=[WebSocketRoute("/ws/rooms", Rooms.as_asgi())])


def test_each_topic_is_a_channel_on_the_consumers_address() -> None:
    model = build_api_model(app)
    assert [c.key for c in model.channels] == ["Rooms", "Rooms.RoomTopic"]
    rooms, topic = model.channels
    assert topic.address == rooms.address == "/ws/rooms"
    assert topic.title == "room/{room_id}"
    assert "One chat room." in (topic.description or "")
    operations = {(op.action, op.name): op for op in topic.operations}
    assert set(operations) == {
        ("receive", "subscribe"),
        ("receive", "unsubscribe"),
        ("receive", "post"),
        ("send", "posted"),
        ("send", "ticked"),
        ("send", "presence_join"),
        ("send", "presence_leave"),
    }
    subscribe = operations[("receive", "subscribe")]
    assert [model.messages[k].name for k in subscribe.replies] == ["subscribed", "error"]
    assert "tick" not in {model.messages[k].name for k in topic.messages}  # an input only
    assert [op.name for op in rooms.operations] == ["ping", "error"]  # error: every channel


def test_the_envelope_is_a_schema() -> None:
    doc = to_asyncapi3(build_api_model(app))
    envelope = doc["components"]["schemas"]["TopicEnvelope"]
    assert set(envelope["properties"]) == {
        "version",
        "topic",
        "ref",
        "seq",
        "offset",
        "epoch",
        "recovered",
    }
    assert doc["channels"]["Rooms.RoomTopic"]["address"] == "/ws/rooms"


def test_the_document_passes_the_official_parser(tmp_path: Path, asyncapi_parser: Any) -> None:
    path = tmp_path / "topics.json"
    path.write_text(str(render(build_api_model(app), "asyncapi-json")), encoding="utf-8")
    [report] = asyncapi_parser(path)
    assert report["errors"] == []
