"""chanx (this repository): the ping/pong consumer exactly as the user guide writes it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import channel, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


@channel(name="bench")
class PingConsumer(AsyncJsonWebsocketConsumer):
    """Replies to each ping with a pong; completion signals and message logging off."""

    send_completion = False
    log_websocket_message = False

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer a ping."""
        return PongMessage()


app = Starlette(routes=[WebSocketRoute("/ws", PingConsumer.as_asgi())])
