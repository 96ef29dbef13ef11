"""chanx on Django Channels: the ping/pong consumer of `chanx_ping`, routed as Channels users do.

``ProtocolTypeRouter`` > ``AuthMiddlewareStack`` > ``URLRouter``, with the chanx in-memory
layer as ``CHANNEL_LAYERS["default"]`` (see `django_site`), as a Django project has one.
"""

from __future__ import annotations

import django_site

django_site.setup()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from chanx.core.decorators import channel, ws_handler  # noqa: E402
from chanx.messages.incoming import PingMessage  # noqa: E402
from chanx.messages.outgoing import PongMessage  # noqa: E402


@channel(name="bench")
class PingConsumer(AsyncJsonWebsocketConsumer):
    """Replies to each ping with a pong; completion signals and message logging off."""

    allow_missing_origin = True
    send_completion = False
    log_websocket_message = False

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer a ping."""
        return PongMessage()


application = ProtocolTypeRouter(
    {"websocket": AuthMiddlewareStack(URLRouter([path("ws", PingConsumer.as_asgi())]))}
)
