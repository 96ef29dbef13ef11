"""`AsyncJsonWebsocketConsumer` for Starlette, FastAPI and other ASGI frameworks.

Mount a consumer with `WebSocketRoute("/ws/{room}", ChatConsumer.as_asgi())` (Starlette) or
`app.add_api_websocket_route("/ws/{room}", ChatConsumer.as_asgi())` (FastAPI). The adapter
only moves frames: it accepts the socket, feeds client frames in arrival order to one worker
through a bounded queue, serves channel-layer messages concurrently, and cancels whatever is
still running when the client leaves. Everything else is the shared runtime in
`chanx.core.consumer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from chanx.core.close_codes import CloseCode, for_server
from chanx.core.codec import Frame
from chanx.core.consumer import BaseConsumer, ConnectionState, EventT
from chanx.core.inbound import InboundFrames
from chanx.core.limits import admit_origin, release_user_slot, resolve_limits
from chanx.core.watchdog import aborted_code, unwatch, watch
from chanx.layers.exceptions import LayerClosed

__all__ = ["AsyncJsonWebsocketConsumer", "ConsumerApp"]

logger = logging.getLogger("chanx.consumer")

_PLAN_ATTRIBUTES = frozenset(
    {
        "formatters",
        "camelize",
        "discriminator_field",
        "authenticator_class",
        "authenticator_options",
        "passthrough_events",
        "passthrough_method_prefix",
        "extra_groups",
        "emits",
    }
)

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
        for key in initkwargs:
            if key in _PLAN_ATTRIBUTES:
                raise TypeError(
                    f"{cls.__qualname__}.as_asgi({key}=...): {key} shapes the compiled plan; "
                    f"set it on a subclass instead."
                )
            if not hasattr(cls, key):
                raise TypeError(
                    f"{cls.__qualname__}.as_asgi() got {key!r}, which is not an attribute of "
                    f"the class."
                )

        return ConsumerApp(cls, initkwargs)

    async def _transport_send(self, frame: Frame) -> None:
        if type(frame) is str:
            await self._send({"type": "websocket.send", "text": frame})
        else:
            await self._send({"type": "websocket.send", "bytes": frame})

    async def _transport_close(self, code: int, reason: str) -> None:
        code = for_server(code, self._send)
        with contextlib.suppress(Exception):
            await self._send({"type": "websocket.close", "code": code, "reason": reason})

    async def _serve(self) -> None:
        message = await self._receive()
        if message["type"] != "websocket.connect":
            return
        limits = self._limits = resolve_limits(self)
        if not await admit_origin(self, self._send):  # refused before accept
            return
        accept: Message = {"type": "websocket.accept"}
        choose = getattr(self._plan.authenticator_factory, "select_subprotocol", None)
        if choose is not None and (subprotocol := choose(self.scope)) is not None:
            accept["subprotocol"] = subprotocol
        await self._send(accept)
        code: int = CloseCode.NORMAL
        inbound: InboundFrames[Message] = InboundFrames(
            self._on_client_frame, limits.max_pending_frames
        )
        self._inbound = inbound
        layer_task: asyncio.Task[None] | None = None
        try:
            try:
                async with asyncio.timeout(limits.auth_timeout):
                    connected = await self._on_connected()
            except TimeoutError:
                await self.close(CloseCode.AUTH_TIMEOUT, "authentication timed out")
                connected = False
            if not connected:
                code = await self._drain_until_disconnect()
                return
            watch(self, limits.send_timeout)
            if self.channel_layer is not None and self.channel_name:
                layer_task = asyncio.create_task(self._layer_worker())
            code = await self._read_client(inbound)
        except asyncio.CancelledError:
            aborted = aborted_code(self)  # the slow-consumer watchdog aborted this connection
            if aborted is None:
                raise
            code = aborted
        finally:
            unwatch(self)
            release_user_slot(self)
            if code == CloseCode.SERVICE_RESTART:  # uvicorn is shutting down
                await inbound.finish(limits.shutdown_grace)
            await inbound.cancel()
            if layer_task is not None:
                layer_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await layer_task
            await self._on_disconnected(code)

    async def _read_client(self, inbound: InboundFrames[Message]) -> int:
        """Read frames until the client leaves; return the close code."""
        limits = self._limits
        bucket = limits.bucket
        while True:
            message = await self._receive()
            kind = message["type"]
            if kind == "websocket.receive":
                if self.state is not ConnectionState.OPEN:
                    continue
                if limits.frame_too_big(message):
                    await self.close(CloseCode.MESSAGE_TOO_BIG, "frame too big")
                elif bucket is not None and not bucket.take():
                    await self.close(CloseCode.RATE_LIMITED, "message rate exceeded")
                elif not inbound.submit(message):
                    await self.close(CloseCode.RATE_LIMITED, "too many pending frames")
            elif kind == "websocket.disconnect":
                return int(message.get("code", CloseCode.NORMAL))

    async def _drain_until_disconnect(self) -> int:
        while True:
            message = await self._receive()
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", CloseCode.NORMAL))

    async def _on_client_frame(self, message: Message) -> None:
        text = message.get("text")
        if text is not None:
            await self._on_client_text(text)
        else:
            await self._on_client_binary(message.get("bytes") or b"")

    async def _layer_worker(self) -> None:
        layer = self.channel_layer
        assert layer is not None
        while True:
            try:
                message = await layer.receive(self.channel_name)
            except LayerClosed:
                logger.info(
                    "%s: channel layer closed; events stop for this connection", self._plan.consumer
                )
                return
            await self._on_layer_message(message)


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
        for key, value in self.consumer_initkwargs.items():
            setattr(consumer, key, list(value) if isinstance(value, list) else value)
        await consumer._serve()
