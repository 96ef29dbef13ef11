"""The crowd consumer as a Starlette app on the Redis layer: ``uvicorn workers_star:app``.

``OPS_REDIS_URL`` and ``OPS_PREFIX`` say where. Run as a script (``python workers_star.py
TEXT COUNT``) it broadcasts COUNT ``news`` events to the crowd with the ``_sync`` twin, from a
process that serves nobody.
"""

from __future__ import annotations

import os
import sys

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from workers import News, crowd  # type: ignore[import-not-found]

from chanx.fast_channels.lifespan import lifespan
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import configure_layers

configure_layers(
    {
        "default": {
            "BACKEND": "redis",
            "CONFIG": {"url": os.environ["OPS_REDIS_URL"], "prefix": os.environ["OPS_PREFIX"]},
        }
    }
)
Crowd = crowd(AsyncJsonWebsocketConsumer)
app = Starlette(routes=[WebSocketRoute("/ws/crowd", Crowd.as_asgi())], lifespan=lifespan)

if __name__ == "__main__":
    for n in range(int(sys.argv[2])):
        Crowd.broadcast_event_sync(News(payload=f"{sys.argv[1]}-{n}"))
