"""Upstream chanx 2.13 on fast-channels: the fan-out room, run from its own venv.

The same room as `chanx_fanout.py` (every connection joins "room"; a `shout` goes to every
member, the sender included), configured as upstream documents a fast-channels app: an
in-memory channel layer registered under an alias that the consumer names. Completion signals
and message logging are off; everything else keeps upstream's defaults.
"""

from __future__ import annotations

from typing import Literal

from fast_channels.layers import InMemoryChannelLayer, has_layers, register_channel_layer
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import channel, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage

LAYER_ALIAS = "bench"

if not has_layers():
    register_channel_layer(LAYER_ALIAS, InMemoryChannelLayer())


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
    channel_layer_alias = LAYER_ALIAS
    send_completion = False
    log_websocket_message = False

    @ws_handler(output_type=Shout)
    async def handle_shout(self, message: Shout) -> None:
        """Broadcast the shout to the room."""
        await self.broadcast_message(message)


app = Starlette(routes=[WebSocketRoute("/ws", FanoutConsumer.as_asgi())])
