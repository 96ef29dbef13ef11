"""chanx (this repository): a group consumer that broadcasts every `shout` to the room."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import channel, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage


class ShoutPayload(BaseModel):
    """A broadcast's sequence number (the load client times deliveries by it) and text."""

    seq: int
    text: str


class Shout(BaseMessage):
    """Sent by a client, relayed to every member of the room (the sender included)."""

    action: Literal["shout"] = "shout"
    payload: ShoutPayload


@channel(name="fanout")
class FanoutConsumer(AsyncJsonWebsocketConsumer):
    """Every connection joins "room"; a shout goes to all of them through the layer."""

    groups = ["room"]
    allow_missing_origin = True
    send_completion = False
    log_websocket_message = False

    @ws_handler(output_type=Shout)
    async def handle_shout(self, message: Shout) -> None:
        """Broadcast the shout to the room."""
        await self.broadcast_message(message)


app = Starlette(routes=[WebSocketRoute("/ws", FanoutConsumer.as_asgi())])
