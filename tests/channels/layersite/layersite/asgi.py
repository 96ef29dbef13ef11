"""``daphne layersite.asgi:application`` / ``uvicorn layersite.asgi:application``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "layersite.settings")
django_asgi = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from layersite import consumers  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "channel": ChannelNameRouter({consumers.JOBS_CHANNEL: consumers.JobWorker.as_asgi()}),
        "websocket": AuthMiddlewareStack(
            URLRouter(
                [
                    path("ws/room/", consumers.Room.as_asgi()),
                    path("ws/async-json/", consumers.AsyncJson.as_asgi()),
                    path("ws/async/", consumers.AsyncText.as_asgi()),
                    path("ws/sync/", consumers.SyncText.as_asgi()),
                ]
            )
        ),
    }
)
