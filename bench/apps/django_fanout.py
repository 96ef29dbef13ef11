"""chanx on Django Channels: the fan-out room of `chanx_fanout`, routed as Channels users do.

``ProtocolTypeRouter`` > ``AuthMiddlewareStack`` > ``URLRouter``; the layer comes from
``CHANNEL_LAYERS`` (see `django_site`).
"""

from __future__ import annotations

import django_site

django_site.setup()

from typing import Literal  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402
from pydantic import BaseModel  # noqa: E402

from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from chanx.core.decorators import channel, ws_handler  # noqa: E402
from chanx.messages.base import BaseMessage  # noqa: E402


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


application = ProtocolTypeRouter(
    {"websocket": AuthMiddlewareStack(URLRouter([path("ws", FanoutConsumer.as_asgi())]))}
)
