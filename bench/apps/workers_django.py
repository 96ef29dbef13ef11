"""The fan-out room as a Django project, for several daphne processes on the Redis layer.

Channels' ``CHANNEL_LAYERS`` names chanx's Redis layer by class path (``BENCH_REDIS_URL``,
``BENCH_PREFIX``); the consumer is the Starlette room's twin on chanx's Django adapter.
``daphne workers_django:application``. ``BENCH_PROFILE=DIR`` as in `workers_room`.
"""

from __future__ import annotations

import os

import django
import workers_profile
from django.conf import settings

workers_profile.start()
settings.configure(
    SECRET_KEY="bench-only",
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1"],
    INSTALLED_APPS=["chanx.channels"],
    DATABASES={},
    USE_TZ=True,
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "chanx_layer_redis.RedisChannelLayer",
            "CONFIG": {
                "url": os.environ["BENCH_REDIS_URL"],
                "prefix": os.environ["BENCH_PREFIX"],
                "capacity": 1000,
            },
        }
    },
)
django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from chanx_fanout import Shout  # noqa: E402

from chanx.channels.routing import path  # noqa: E402
from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from chanx.core.decorators import channel, ws_handler  # noqa: E402


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


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws", FanoutConsumer.as_asgi())])})
