"""The ops consumers as a Starlette application: ``uvicorn star:app``."""

from __future__ import annotations

from common import consumers  # type: ignore[import-not-found]
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.asyncapi.starlette import mount_asyncapi
from chanx.fast_channels.lifespan import lifespan
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer

routes = [
    WebSocketRoute(f"/ws/{name}", c.as_asgi())
    for name, c in consumers(AsyncJsonWebsocketConsumer).items()
]
app = Starlette(routes=routes, lifespan=lifespan)
mount_asyncapi(app, title="ops")
