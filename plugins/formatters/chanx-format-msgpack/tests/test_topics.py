"""Topics over msgpack, alone and with camelize: envelopes, replies and pushes."""

from __future__ import annotations

from typing import Any, Literal

import msgpack
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.core.topic import Topic
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.testing import WebsocketCommunicator


class Body(BaseModel):
    note_text: str


class Post(BaseMessage):
    action: Literal["post"] = "post"
    payload: Body


class Posted(BaseMessage):
    action: Literal["posted"] = "posted"
    payload: Body


class BoardTopic(Topic[Posted]):
    pattern = "board/{board_id}"
    history_size = 10

    @ws_handler
    async def handle_post(self, message: Post) -> None:
        await type(self).broadcast(self.topic, Posted(payload=message.payload))


class PackedBoard(AsyncJsonWebsocketConsumer):
    formatters = ("msgpack",)
    topics = [BoardTopic]


class CamelBoard(AsyncJsonWebsocketConsumer):
    formatters = ("camelize",)
    topics = [BoardTopic]


class PackedCamelBoard(AsyncJsonWebsocketConsumer):
    formatters = ("camelize", "msgpack")
    topics = [BoardTopic]


def app() -> Starlette:
    return Starlette(
        routes=[
            WebSocketRoute("/packed", PackedBoard.as_asgi()),
            WebSocketRoute("/camel", CamelBoard.as_asgi()),
            WebSocketRoute("/both", PackedCamelBoard.as_asgi()),
        ]
    )


def packed(path: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(app(), path, loads=msgpack.unpackb, dumps=msgpack.packb)


async def test_a_msgpack_client_subscribes_and_receives_binary_pushes() -> None:
    async with packed("/packed") as client:
        reply = await client.subscribe("board/1", ref="s")
        assert (reply["action"], reply["ref"], reply["offset"]) == ("subscribed", "s", 0)
        await client.send_to_topic("board/1", {"action": "post", "payload": {"note_text": "x"}})
        frame = await client.receive_frame()
        assert isinstance(frame, bytes)
        push: dict[str, Any] = msgpack.unpackb(frame)
        assert push["payload"] == {"note_text": "x"}
        assert (push["topic"], push["offset"], push["epoch"]) == ("board/1", 1, reply["epoch"])


async def test_a_camelized_client_sends_and_receives_camel_case_on_topics() -> None:
    async with WebsocketCommunicator(app(), "/camel") as client:
        first = await client.subscribe("board/2")
        await client.send_to_topic("board/2", {"action": "post", "payload": {"noteText": "y"}})
        push = await client.receive_json()
        assert push == {
            "action": "posted",
            "payload": {"noteText": "y"},
            "version": 1,
            "topic": "board/2",
            "offset": 1,
            "epoch": first["epoch"],
        }
        await client.unsubscribe("board/2")
        resumed = await client.subscribe("board/2", since={"offset": 0, "epoch": first["epoch"]})
        assert resumed["recovered"] is True
        assert (await client.receive_json())["payload"] == {"noteText": "y"}


async def test_camelize_and_msgpack_together() -> None:
    async with packed("/both") as client:
        await client.subscribe("board/3")
        await client.send_to_topic("board/3", {"action": "post", "payload": {"noteText": "z"}})
        push = await client.receive_json()
        assert (push["payload"], push["offset"]) == ({"noteText": "z"}, 1)
