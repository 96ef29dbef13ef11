"""`AsyncJsonWebsocketConsumer` for Starlette, FastAPI and other ASGI frameworks.

Mount a consumer with `WebSocketRoute("/ws/{room}", ChatConsumer.as_asgi())` (Starlette) or
`app.add_api_websocket_route("/ws/{room}", ChatConsumer.as_asgi())` (FastAPI). This adapter
only constructs a consumer per connection; the connection is served by the generic ASGI loop
in `chanx.core.asgi`, and everything a handler sees is `chanx.core.consumer.BaseConsumer`.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from chanx.core.asgi import serve
from chanx.core.consumer import BaseConsumer, EventT

__all__ = ["AsyncJsonWebsocketConsumer", "ConsumerApp"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class AsyncJsonWebsocketConsumer(BaseConsumer[EventT], abstract=True):
    """Base class of chanx consumers on Starlette / FastAPI (see `BaseConsumer`)."""

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        super().__init__(scope)
        self._receive = receive
        self._send = send

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> ConsumerApp:
        """An ASGI application serving this consumer; each connection gets an instance.

        Args:
            **initkwargs: Class attributes to override for connections of this route
                (for example `send_completion=True`). Unknown names are an error.
        """
        cls.check_overrides(initkwargs)
        return ConsumerApp(cls, initkwargs)


class ConsumerApp:
    """The ASGI application `as_asgi()` returns: one consumer instance per connection.

    It is a callable object rather than a function because Starlette's `WebSocketRoute`
    treats plain functions as `websocket_session` endpoints. It also advertises FastAPI's
    endpoint signature, `(websocket: WebSocket)`, so FastAPI's
    `app.add_api_websocket_route(path, Consumer.as_asgi())` mounts it as well.

    Attributes:
        consumer_class: The consumer class served.
        consumer_initkwargs: Attribute overrides applied to every instance.
    """

    __slots__ = ("consumer_class", "consumer_initkwargs")

    def __init__(
        self, consumer_class: type[AsyncJsonWebsocketConsumer[Any]], initkwargs: dict[str, Any]
    ) -> None:
        self.consumer_class = consumer_class
        self.consumer_initkwargs = initkwargs

    @property
    def __signature__(self) -> inspect.Signature:
        """What FastAPI's dependency injection reads: one `WebSocket` parameter."""
        from starlette.websockets import WebSocket

        parameter = inspect.Parameter(
            "websocket", inspect.Parameter.KEYWORD_ONLY, annotation=WebSocket
        )
        return inspect.Signature([parameter])

    async def __call__(
        self,
        scope: Scope | None = None,
        receive: Receive | None = None,
        send: Send | None = None,
        *,
        websocket: Any = None,
    ) -> None:
        if websocket is not None:  # called by FastAPI with a starlette WebSocket
            scope, receive, send = websocket.scope, websocket.receive, websocket.send
        if scope is None or receive is None or send is None:
            raise TypeError(f"{self.consumer_class.__qualname__} app needs scope, receive and send")
        if scope["type"] != "websocket":
            raise RuntimeError(
                f"{self.consumer_class.__qualname__} serves WebSocket connections; it got an "
                f"ASGI {scope['type']!r} scope. Mount it with WebSocketRoute."
            )
        consumer = self.consumer_class(scope, receive, send)
        consumer.apply_overrides(self.consumer_initkwargs)
        await serve(consumer, receive, send)
