"""``daphne opsite.asgi:application`` / ``uvicorn opsite.asgi:application``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsite.settings")
django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from common import consumers  # noqa: E402

from chanx.channels.routing import path  # noqa: E402
from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": URLRouter(
            [
                path(f"ws/{name}", c.as_asgi())
                for name, c in consumers(AsyncJsonWebsocketConsumer).items()
            ]
        ),
    }
)
