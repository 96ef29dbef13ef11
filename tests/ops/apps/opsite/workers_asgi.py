"""The crowd consumer on Django (``daphne opsite.workers_asgi:application``), with
``OPS_LAYERS=redis``. Run as a script (``python -m opsite.workers_asgi TEXT COUNT``) it
broadcasts COUNT ``news`` events to the crowd with the ``_sync`` twin, through Channels'
``CHANNEL_LAYERS``, from a process that serves nobody."""

import os
import sys

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsite.settings")
django_asgi = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from workers import News, crowd  # noqa: E402

from chanx.channels.routing import path  # noqa: E402
from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402

Crowd = crowd(AsyncJsonWebsocketConsumer)
application = ProtocolTypeRouter(
    {"http": django_asgi, "websocket": URLRouter([path("ws/crowd", Crowd.as_asgi())])}
)

if __name__ == "__main__":
    for n in range(int(sys.argv[2])):
        Crowd.broadcast_event_sync(News(payload=f"{sys.argv[1]}-{n}"))
