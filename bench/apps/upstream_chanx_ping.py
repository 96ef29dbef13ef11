"""Upstream chanx 2.13 on fast-channels: the same ping/pong consumer, run from its own venv.

Configured as upstream documents a fast-channels app: an in-memory channel layer registered
under an alias that the consumer names. Completion signals and message logging are off;
everything else keeps upstream's defaults. Set `BENCH_UPSTREAM_LAYER=0` to run it without a
channel layer (then fast-channels waits on the WebSocket alone).
"""

from __future__ import annotations

import os

from fast_channels.layers import InMemoryChannelLayer, has_layers, register_channel_layer
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import channel, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

USE_LAYER = os.environ.get("BENCH_UPSTREAM_LAYER", "1") != "0"
LAYER_ALIAS = "bench"

if USE_LAYER and not has_layers():
    register_channel_layer(LAYER_ALIAS, InMemoryChannelLayer())


@channel(name="bench")
class PingConsumer(AsyncJsonWebsocketConsumer):
    """Replies to each ping with a pong; completion signals and message logging off."""

    send_completion = False
    log_websocket_message = False
    if USE_LAYER:
        channel_layer_alias = LAYER_ALIAS

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer a ping."""
        return PongMessage()


app = Starlette(routes=[WebSocketRoute("/ws", PingConsumer.as_asgi())])
