"""With the real camelize plugin, the documented names are the ones on the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.asyncapi import build_api_model, render
from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.kernel import PluginHost
from chanx.messages.base import BaseMessage
from chanx.testing.communicator import WebsocketCommunicator

pytest.importorskip("chanx_format_camelize")


class Post(BaseModel):
    user_name: str
    message_text: str
    extra_fields: dict[str, Any] = {}


class Publish(BaseMessage):
    action: Literal["publish"] = "publish"
    payload: Post


class Published(BaseMessage):
    action: Literal["published"] = "published"
    payload: Post


async def test_examples_of_a_camelized_consumer_round_trip_as_documented(
    plugin_host: PluginHost, tmp_path: Path, asyncapi_parser: Any
) -> None:
    assert "camelize" in plugin_host.formatters

    class CamelChat(AsyncJsonWebsocketConsumer):
        camelize = True
        send_completion = True

        @ws_handler
        async def handle_publish(self, message: Publish) -> Published:
            return Published(payload=message.payload)

    app = Starlette(routes=[WebSocketRoute("/ws", CamelChat.as_asgi())])
    model = build_api_model(app)
    publish, *server_frames = model.channels[0].operations
    assert [op.name for op in server_frames] == [
        "complete",
        "error",
        "event_complete",
        "group_complete",
    ]
    request = model.messages[publish.messages[0]].example
    documented_reply = model.messages[publish.replies[0]].example
    assert request == {
        "action": "publish",
        "payload": {"userName": "string", "messageText": "string", "extraFields": {}},
    }
    async with WebsocketCommunicator(app, "/ws") as client:
        await client.send_message(request)
        [reply] = await client.receive_all_messages()
    assert reply == documented_reply
    target = tmp_path / "camelize.json"
    target.write_text(str(render(model, "asyncapi-json")))
    assert asyncapi_parser(target)[0]["errors"] == []
