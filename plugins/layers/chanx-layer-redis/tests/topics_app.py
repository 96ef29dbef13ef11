"""The app the topic process tests serve with uvicorn (configured by environment variables).

``CHANX_TEST_REDIS_URL`` and ``CHANX_TEST_PREFIX`` select the Redis layer and
``CHANX_TEST_PRESENCE_TTL`` the presence TTL; run as ``python -m uvicorn topics_app:app``
from this directory.
"""

from __future__ import annotations

import os
from typing import Any, Literal

from chanx_layer_redis import RedisChannelLayer
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.core.topic import Topic
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import configure_layers, get_channel_layer
from chanx.messages.base import BaseMessage

configure_layers(
    {
        "default": {
            "BACKEND": "redis",
            "CONFIG": {
                "url": os.environ["CHANX_TEST_REDIS_URL"],
                "prefix": os.environ["CHANX_TEST_PREFIX"],
                "capacity": 1000,
            },
        }
    }
)


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: str


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: str


class Members(BaseMessage):
    action: Literal["members"] = "members"
    payload: None = None


class MemberList(BaseMessage):
    action: Literal["member_list"] = "member_list"
    payload: list[dict[str, Any]]


class RoomTopic(Topic[Said]):
    pattern = "room/{room_id}"
    history_size = 100
    track_presence = True
    presence_events = True

    async def presence_info(self) -> dict[str, Any] | None:
        return {"port": self.scope["server"][1]}

    @ws_handler
    async def handle_say(self, message: Say) -> None:
        await RoomTopic.broadcast(self.topic, Said(payload=message.payload))

    @ws_handler
    async def handle_members(self, message: Members) -> MemberList:
        members = await RoomTopic.presence(self.topic)
        return MemberList(payload=[m.model_dump() for m in members])


class ChatConsumer(AsyncJsonWebsocketConsumer):
    topics = [RoomTopic]


_layer = get_channel_layer()
assert isinstance(_layer, RedisChannelLayer)
_layer.topic_store().presence_ttl = float(os.environ.get("CHANX_TEST_PRESENCE_TTL", "30"))

app = Starlette(routes=[WebSocketRoute("/ws", ChatConsumer.as_asgi())])
