"""The app the two-process test serves with uvicorn (configured by environment variables).

``CHANX_TEST_REDIS_URL`` and ``CHANX_TEST_PREFIX`` select the Redis layer (a node of a Redis
Cluster with ``CHANX_TEST_CLUSTER=1``); run as
``python -m uvicorn twoproc_app:app`` from this directory, or import it and call
`send_poke` to send an event from a separate process. At graceful shutdown the app
broadcasts ``goodbye`` events to the room and closes the layers at once: the events must
still reach the other processes.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, ClassVar, Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route, WebSocketRoute

from chanx.core.decorators import event_handler, ws_handler
from chanx.fast_channels.lifespan import shutdown
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import close_layers, configure_layers, get_channel_layer
from chanx.messages.base import BaseMessage

configure_layers(
    {
        "default": {
            "BACKEND": "redis",
            "CONFIG": {
                "url": os.environ["CHANX_TEST_REDIS_URL"],
                "prefix": os.environ["CHANX_TEST_PREFIX"],
                "capacity": 1000,
                "cluster": os.environ.get("CHANX_TEST_CLUSTER") == "1",
            },
        }
    }
)


GOODBYES = 10


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: str


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: str


class WhoAmI(BaseMessage):
    action: Literal["whoami"] = "whoami"
    payload: None = None


class YouAre(BaseMessage):
    action: Literal["you_are"] = "you_are"
    payload: str


class Poke(BaseMessage):
    action: Literal["poke"] = "poke"
    payload: str


class Room(AsyncJsonWebsocketConsumer[Poke]):
    """Every connection joins ``room``; ``say`` is broadcast to the room."""

    groups: ClassVar[list[str]] = ["room"]

    @ws_handler
    async def handle_say(self, message: Say) -> None:
        await self.broadcast_message(Said(payload=message.payload))

    @ws_handler
    async def handle_whoami(self, message: WhoAmI) -> YouAre:
        return YouAre(payload=self.channel_name)

    @event_handler
    async def handle_poke(self, event: Poke) -> Said:
        return Said(payload=f"poke:{event.payload}")


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """Say goodbye to the room at shutdown; closing the layers sends what is queued."""
    yield
    for n in range(GOODBYES):
        await Room.broadcast_event(Poke(payload=f"goodbye-{os.getpid()}-{n}"))
    await close_layers()
    await shutdown(grace=1)


def poke_room(request: Request) -> PlainTextResponse:
    """A synchronous endpoint (Starlette runs it in a worker thread) that broadcasts ``text``
    times ``count`` with the ``_sync`` twin, beside the loop serving the connections."""
    text = request.query_params["text"]
    for n in range(int(request.query_params.get("count", "1"))):
        Room.broadcast_event_sync(Poke(payload=f"{text}-{n}"))
    return PlainTextResponse("sent")


async def receivers(request: Request) -> JSONResponse:
    """How this process receives its connections' layer messages: tasks parked in the
    layer's ``receive`` (one per connection on a layer without listeners) and channels whose
    messages the layer hands to a listener."""
    coroutines = [getattr(task.get_coro(), "__qualname__", "") for task in asyncio.all_tasks()]
    parked = coroutines.count("_layer_worker")
    home = getattr(get_channel_layer(), "_home", None)
    local: dict[str, Any] = home.local._channels if home is not None else {}
    listening = sum(1 for state in local.values() if state.listener is not None)
    return JSONResponse({"parked": parked, "listening": listening})


app = Starlette(
    routes=[
        WebSocketRoute("/ws", Room.as_asgi()),
        Route("/poke", poke_room),
        Route("/receivers", receivers),
    ],
    lifespan=lifespan,
)


async def send_poke(channel_name: str, text: str) -> None:
    """Send a `Poke` event to one connection, from a process that serves no client."""
    await Room.send_event(Poke(payload=text), channel_name)
    await close_layers()


if __name__ == "__main__":
    asyncio.run(send_poke(sys.argv[1], sys.argv[2]))
