"""What plugin components look like: structural types the kernel and the core rely on.

Registries hold factories, not instances: a layer factory is called with the alias's config
(`factory(**config)`), a formatter or doc emitter factory with no arguments. The protocols are
`runtime_checkable` so contract test suites can assert conformance with `isinstance`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Protocol, TypeAlias, runtime_checkable

__all__ = [
    "AuthenticatorFactory",
    "ChannelLayer",
    "ConnectionObserver",
    "DocEmitter",
    "DocEmitterFactory",
    "Formatter",
    "FormatterFactory",
    "LayerFactory",
    "Observer",
    "ObserverFactory",
    "WireFormat",
]


@runtime_checkable
class ChannelLayer(Protocol):
    """The ASGI channel-layer contract, as Django Channels and the Starlette adapter use it."""

    @property
    def extensions(self) -> Sequence[str]:
        """Optional features supported, e.g. `["groups", "flush"]`."""
        ...

    async def new_channel(self, prefix: str = "specific.") -> str:
        """Return a new, unique channel name for a receiver in this process."""
        ...

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Send `message` to `channel`; raises `ChannelFull` when the channel is at capacity."""
        ...

    async def receive(self, channel: str) -> dict[str, Any]:
        """Wait for and return the next message on `channel`."""
        ...

    async def group_add(self, group: str, channel: str) -> None:
        """Add `channel` to `group` (membership expires after the layer's group expiry)."""
        ...

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`; no error if it is not a member."""
        ...

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send `message` to every channel in `group`; full members are skipped silently."""
        ...

    async def flush(self) -> None:
        """Drop every channel and group (tests and the `flush` extension)."""
        ...

    async def close(self) -> None:
        """Release connections and background tasks held by the layer."""
        ...


@runtime_checkable
class Formatter(Protocol):
    """Transforms frames between their wire shape and the shape the message models expect.

    Required: `name`, `incoming(data)` and `outgoing(data)`. A consumer lists formatters in
    `formatters = ("camelize", ...)`; outgoing data passes through them in that order and
    incoming data in the reverse order. Optional members, looked up once at class creation:

    - `prepare(incoming, outgoing) -> None`: called once per consumer class, before any
      frame, with the message types clients may send (`incoming`) and the types the class
      declares it sends (`outgoing`, chanx's own error/completion/authentication messages
      included). Raise `TypeError` or `ValueError` to reject the class; the message is
      reported as the class's definition error.
    - `core_schema(schema) -> schema`: rewrite a pydantic core schema (e.g. add aliases).
      The codec then validates and serializes typed messages with the rewritten schemas
      (built once per class and message type), and calls this formatter's `incoming` /
      `outgoing` only for data whose type is unknown (a relay from another wire).
    - `wire: WireFormat`: the formatter owns the wire codec (e.g. MessagePack). At most one
      selected formatter may own it; without one, frames are JSON text.
    - `wire_key(name) -> str`: the wire name of a model field (used by documentation).
    """

    @property
    def name(self) -> str:
        """The registered name, e.g. `"camelize"`."""
        ...

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        """Transform a decoded client frame before it is validated."""
        ...

    def outgoing(self, data: dict[str, Any]) -> dict[str, Any]:
        """Transform a dumped outgoing message (type not known) before it is encoded."""
        ...


@runtime_checkable
class WireFormat(Protocol):
    """How frames are written on the socket, when a formatter owns the codec.

    `loads` raises `ValueError` for a malformed frame (it becomes an error frame). Binary
    formats receive and return `bytes`; a text frame sent to a binary consumer is refused
    with one JSON text error frame (code `unsupported_frame`) and the connection stays open.
    """

    @property
    def name(self) -> str:
        """The format's name as users know it, e.g. `"MessagePack"` (used in error frames)."""
        ...

    @property
    def binary(self) -> bool:
        """True when frames are binary WebSocket frames, False for text frames."""
        ...

    def loads(self, frame: str | bytes) -> Any:
        """Decode one frame; raise `ValueError` when it is malformed."""
        ...

    def dumps(self, data: Any) -> str | bytes:
        """Encode one frame (`bytes` when `binary`, else `str`)."""
        ...


@runtime_checkable
class DocEmitter(Protocol):
    """Renders the neutral API model (built from consumer plans) as one document format."""

    @property
    def name(self) -> str:
        """The registered name, e.g. `"asyncapi-json"`."""
        ...

    @property
    def media_type(self) -> str:
        """The media type of the output, e.g. `"application/json"`."""
        ...

    def emit(self, model: Any) -> str | bytes:
        """Render `model` and return the document."""
        ...


Serve: TypeAlias = Callable[[Any], Coroutine[Any, Any, None]]
"""Serves one client frame (an ASGI receive message) or one channel-layer message."""

SendFrame: TypeAlias = Callable[..., Coroutine[Any, Any, None]]
"""Sends one frame: `send_frame(frame, message=None)`, `message` being the typed message."""

Handler: TypeAlias = Callable[[Any, Any], Awaitable[Any]]
"""A `@ws_handler` / `@event_handler` method: `handler(consumer, message)`."""


@runtime_checkable
class ConnectionObserver(Protocol):
    """Watches one connection; returned by `Observer.connect` at `websocket.connect`.

    The `wrap_*` methods are called once per connection; what they return is called per
    frame, so the runtime makes no plugin call per message beyond the wrappers themselves.
    They run on the connection's own path, unguarded: an observer must not raise (a wrapper
    must let the wrapped call's exceptions through unchanged).
    """

    def refused(self, cause: str, code: int) -> None:
        """The handshake was refused: `cause` is `origin`, `auth`, `limit` or `error`."""
        ...

    def opened(self) -> None:
        """The connection was accepted and is in its groups."""
        ...

    def wrap_frame(self, serve: Serve) -> Serve:
        """Wrap the serving of one client frame (runs in the frame's own task)."""
        ...

    def wrap_layer(self, serve: Serve) -> Serve:
        """Wrap the serving of one channel-layer message (an event or a relay)."""
        ...

    def wrap_send(self, send_frame: SendFrame) -> SendFrame:
        """Wrap `send_frame(frame, message=None)`, through which every frame is sent."""
        ...

    def backpressure(self, seconds: float) -> None:
        """Reading paused for `seconds` because the frame backlog was full."""
        ...

    def closed(self, code: int) -> None:
        """The connection ended with close `code` (called after `refused` too; ignore it)."""
        ...


@runtime_checkable
class Observer(Protocol):
    """Watches the consumers of one class; built by `factory(consumer_cls)` at class creation.

    A consumer class selects observers with `observers = ("otel",)` (or the `observers`
    setting for every class). Its plan then holds the observer, its wrapped handlers and
    the callables below; a class that selects none runs the unobserved code path.
    """

    @property
    def name(self) -> str:
        """The registered name, e.g. `"otel"`."""
        ...

    def wrap_handler(self, kind: str, action: str, handler: Handler) -> Handler:
        """Wrap a handler once, at plan time (`kind` is `ws` or `event`)."""
        ...

    def stamp(self, message: dict[str, Any], layer: Any) -> None:
        """Annotate an outgoing channel-layer message (e.g. with trace context) in place."""
        ...

    def connect(self, consumer: Any) -> ConnectionObserver:
        """Start watching a connection that `consumer` serves."""
        ...


AuthenticatorFactory: TypeAlias = Callable[..., Any]
"""Builds an authenticator; in practice a `chanx.core.authenticator.BaseAuthenticator` subclass."""

LayerFactory: TypeAlias = Callable[..., ChannelLayer]
"""Builds a channel layer from an alias's config: `factory(**config)`."""

FormatterFactory: TypeAlias = Callable[..., Formatter]
"""Builds a formatter: `factory()`."""

DocEmitterFactory: TypeAlias = Callable[..., DocEmitter]
"""Builds a doc emitter: `factory()`."""

ObserverFactory: TypeAlias = Callable[[type], Observer]
"""Builds an observer for one consumer class: `factory(consumer_cls)`."""
