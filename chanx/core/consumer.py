"""`BaseConsumer`: the framework-neutral runtime that executes a consumer's plan.

Adapters (Starlette/FastAPI in `chanx.fast_channels`, Django Channels in `chanx.channels`)
subclass it and provide the transport: how to send a frame, how to close, and the receive
loop. Routing, validation, replies, broadcasts, events, authentication and completion signals
live here once, for every adapter.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from time import monotonic as _monotonic
from typing import TYPE_CHECKING, Any, ClassVar

from chanx.core import expiry, sync
from chanx.core.close_codes import CloseCode, clip_reason
from chanx.core.codec import Frame, FrameError, WireCodec
from chanx.core.events import (
    EVENT_TYPE,
    RELAY_TYPE,
    CapturedEvent,
    EventSender,
    EventT,
    dump_event,
)
from chanx.core.groups import default_groups, target_groups
from chanx.core.limits import ConnectionLimits
from chanx.core.plan import ConsumerPlan, compile_plan
from chanx.core.resolve import resolve_authenticator, resolve_formatters
from chanx.layers.exceptions import LayerClosed
from chanx.messages.base import BaseMessage
from chanx.messages.outgoing import (
    AuthenticationMessage,
    AuthenticationPayload,
    CompleteMessage,
)

if TYPE_CHECKING:
    from chanx.core.authenticator import BaseAuthenticator
    from chanx.kernel.contracts import ChannelLayer

__all__ = ["BaseConsumer", "CapturedEvent", "ConnectionState", "EventT"]

logger = logging.getLogger("chanx.consumer")


class ConnectionState(enum.Enum):
    """Where a connection is in its life."""

    CONNECTING = "connecting"
    OPEN = "open"
    CLOSED = "closed"


class BaseConsumer(ConnectionLimits, EventSender[EventT]):
    """Runtime shared by every adapter. Configure a consumer with these class attributes.

    Attributes:
        send_completion: Send a completion frame after each client frame, event and relay.
        send_message_immediately: Yield to the event loop after each `send_message()` call,
            so frames sent in a loop go out one by one.
        log_websocket_message: Log each frame's direction, action and size at INFO (the
            payload only at DEBUG).
        log_ignored_actions: Actions never logged (for example `("ping", "pong")`).
        camelize: Shorthand for `formatters = ("camelize",)`.
        formatters: Registered formatter names, applied in order.
        discriminator_field: Field that routes frames and events to handlers.
        channel_layer_alias: The channel layer to use; None runs without one.
        authenticator_class: A `BaseAuthenticator` subclass, a registered name, or None.
        authenticator_options: Class attributes to set on the authenticator for this
            consumer (its options, e.g. ``{"audience": "chat"}``); each must exist.
        send_authentication_message: Send an `authentication` frame with the outcome.
        groups: Groups every connection joins, and the default of `broadcast_message()`.
        extra_groups: More groups, merged across the class hierarchy (mixins included) and
            joined after `groups`.
        emits: Message types sent outside handlers (e.g. from `post_authentication`),
            documented as a send operation.
        passthrough_events: Event types forwarded to the client unchanged.
        passthrough_method_prefix: Name prefix of the generated passthrough handlers.
        max_pending_frames: Client frames that may wait to be served before the connection
            is closed with `CloseCode.RATE_LIMITED`.
    """

    send_completion: ClassVar[bool] = False
    send_message_immediately: ClassVar[bool] = True
    log_websocket_message: ClassVar[bool] = False
    log_ignored_actions: ClassVar[Sequence[str]] = ()
    camelize: ClassVar[bool] = False
    formatters: ClassVar[Sequence[str]] = ()
    discriminator_field: ClassVar[str] = "action"
    channel_layer_alias: ClassVar[str | None] = "default"
    authenticator_class: ClassVar[Any] = None
    authenticator_options: ClassVar[Mapping[str, Any] | None] = None
    send_authentication_message: ClassVar[bool] = False
    groups: list[str] = []  # copied per connection in __init__
    extra_groups: ClassVar[Sequence[str]] = ()
    emits: ClassVar[Sequence[type[BaseMessage]]] = ()
    passthrough_events: ClassVar[Sequence[type[BaseMessage]]] = ()
    passthrough_method_prefix: ClassVar[str] = "handle_passthrough_"
    max_pending_frames: ClassVar[int] = 256

    __chanx_plan__: ClassVar[ConsumerPlan]

    scope: MutableMapping[str, Any]
    authenticator: Any
    channel_layer: ChannelLayer | None
    channel_name: str

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        from chanx.kernel import get_plugin_host

        host = get_plugin_host()
        cls.__chanx_plan__ = compile_plan(
            cls, resolve_formatters(cls, host), resolve_authenticator(cls, host)
        )
        host.validate_consumer(cls)
        host.consumer_prepared(cls)

    def __init__(self, scope: MutableMapping[str, Any]) -> None:
        self._init_connection(scope)

    def _init_connection(self, scope: MutableMapping[str, Any]) -> None:
        """Set per-connection state (adapters that create consumers without a scope call it)."""
        self.scope = scope
        self.groups = default_groups(type(self))  # groups, then extra_groups
        self.authenticator = None
        self.channel_layer = None
        self.channel_name = ""
        self.authenticated = False
        self.state = ConnectionState.CONNECTING
        self._plan = type(self).__chanx_plan__
        self._expiry: asyncio.TimerHandle | None = None
        self._expiry_close: asyncio.Future[None] | None = None

    @property
    def user(self) -> Any:
        """The authenticated user, as set by the authenticator (None without one)."""
        return getattr(self.authenticator, "user", None)

    # -- transport, provided by the adapter -------------------------------------------------

    async def _transport_send(self, frame: Frame) -> None:
        raise NotImplementedError

    async def _transport_close(self, code: int, reason: str) -> None:
        raise NotImplementedError

    # -- hooks ------------------------------------------------------------------------------

    async def post_authentication(self) -> None:
        """Called once the connection is authenticated and has joined its groups."""

    async def disconnect(self, code: int) -> None:
        """Called after an authenticated connection closed and left its groups.

        Not called for a connection that was refused (authentication failed or raised):
        `post_authentication` never ran for it, so there is nothing to undo.
        """

    # -- sending ----------------------------------------------------------------------------

    async def send_message(self, message: BaseMessage) -> None:
        """Send `message` to this connection's client."""
        await self._send_frame(self._plan.codec.encode(message), message)
        if self.send_message_immediately:
            await asyncio.sleep(0)

    async def broadcast_message(
        self,
        message: BaseMessage,
        groups: Iterable[str] | str | None = None,
        *,
        exclude_current: bool = False,
    ) -> None:
        """Send `message` to every client in `groups` (default: this connection's groups).

        The frame is encoded once, here; receivers of the same consumer class forward it
        as is.
        """
        layer = self._require_layer("broadcast_message")
        codec = self._plan.codec
        relay = {
            "type": RELAY_TYPE,
            "wire": codec.wire_id,
            "frame": codec.encode(message),
            "message": dump_event(message),
            "exclude": self.channel_name if exclude_current else None,
        }
        for group in target_groups(self.groups, groups):  # a str is one group
            await layer.group_send(group, relay)

    async def join_group(self, group: str) -> None:
        """Add this connection to `group`; it leaves it again at disconnect."""
        layer = self._require_layer("join_group")
        await layer.group_add(group, self.channel_name)
        if group not in self.groups:
            self.groups.append(group)

    async def leave_group(self, group: str) -> None:
        """Remove this connection from `group`."""
        layer = self._require_layer("leave_group")
        await layer.group_discard(group, self.channel_name)
        if group in self.groups:
            self.groups.remove(group)

    async def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Close the connection; nothing is sent after this."""
        if self.state is ConnectionState.CLOSED:
            return
        self.state = ConnectionState.CLOSED
        self._send_since = _monotonic()
        try:
            await self._transport_close(int(code), clip_reason(reason))
        finally:
            self._send_since = 0.0

    async def _send_frame(self, frame: Frame, message: BaseMessage | None = None) -> None:
        if self.state is not ConnectionState.OPEN:
            return
        if self.log_websocket_message:
            self._log_frame("sent", frame, message)
        self._send_since = _monotonic()  # read by the slow-consumer watchdog
        try:
            await self._transport_send(frame)
        finally:
            self._send_since = 0.0

    def _require_layer(self, what: str) -> ChannelLayer:
        if self.channel_layer is None:
            return type(self)._layer_for_events(what)
        return self.channel_layer

    # -- the connection's life, driven by the adapter --------------------------------------

    async def _on_connected(self) -> bool:
        """After accept: authenticate, join groups, run hooks. False if the socket closed."""
        self.state = ConnectionState.OPEN
        sync.remember_loop()
        if not await self._authenticate() or not await self._admit_user():
            return False
        self.authenticated = True
        expiry.arm(self)  # a no-op unless the authenticator set `expires_at`
        layer = self.get_channel_layer()
        if layer is not None:
            self.channel_layer = layer
            self.channel_name = await layer.new_channel()
            for group in self.groups:
                await layer.group_add(group, self.channel_name)
        try:
            await self.post_authentication()
        except Exception:
            logger.exception("%s.post_authentication raised", type(self).__qualname__)
            await self.close(CloseCode.INTERNAL_ERROR)
            return False
        from chanx.kernel import get_plugin_host

        host = get_plugin_host()
        if host.has_connection_opened_observers:
            host.connection_opened(self)
        return self.state is ConnectionState.OPEN

    async def _authenticate(self) -> bool:
        plan = self._plan
        factory = plan.authenticator_factory
        if factory is None:
            return True
        authenticator: BaseAuthenticator = factory(self.scope)
        self.authenticator = authenticator
        from chanx.core.authenticator import AuthenticationFailed

        try:
            if plan.authenticate_takes_scope:
                accepted = await authenticator.authenticate(self.scope)  # type: ignore[call-arg]
            else:
                accepted = await authenticator.authenticate()
        except AuthenticationFailed as failure:
            await self._refuse(failure.close_code, failure.status_code, failure.reason)
            return False
        except Exception:
            logger.exception("authenticator %s raised", type(authenticator).__qualname__)
            await self._refuse(CloseCode.INTERNAL_ERROR, 500, "")
            return False
        if not accepted:
            await self._refuse(CloseCode.UNAUTHENTICATED, 401, "")
            return False
        if self.send_authentication_message:
            await self._send_auth_frame(200, "OK")
        return True

    async def _refuse(self, close_code: int, status: int, reason: str) -> None:
        if self.send_authentication_message:
            await self._send_auth_frame(status, reason or _STATUS_TEXT.get(status, "Refused"))
        await self.close(close_code, reason[:120])

    async def _send_auth_frame(self, status: int, text: str) -> None:
        message = AuthenticationMessage(
            payload=AuthenticationPayload(status_code=status, status_text=text)
        )
        await self._send_frame(self._plan.codec.encode(message), message)

    async def _on_client_text(self, text: str | bytes, binary: bool = False) -> None:
        """Serve one client frame: validate, dispatch, reply; never raise for bad input."""
        plan = self._plan
        try:
            decode = plan.decoder.decode_binary if binary else plan.decoder.decode_text
            message = decode(text)
        except FrameError as error:
            if error.code == "unknown_action" and await expiry.try_refresh(self, text):
                pass
            elif error.text_reply:  # a text frame on a binary wire: answer in JSON text
                await self._send_frame(_TEXT.encode(error.to_message()))
                if self.send_completion:
                    await self._send_frame(_TEXT_COMPLETE)
                return
            else:
                await self._send_frame(plan.codec.encode(error.to_message()))
        else:
            if self.log_websocket_message:
                self._log_frame("received", text, message)
            await self._dispatch(plan.ws_dispatch[type(message)].func, message)
        if self.send_completion:
            await self._send_frame(plan.complete_frame)

    async def _on_client_binary(self, data: bytes) -> None:
        """Serve one binary client frame (a binary wire's frame, else one error frame)."""
        await self._on_client_text(data, binary=True)

    async def _dispatch(self, func: Callable[..., Any], message: BaseMessage) -> None:
        try:
            result = await func(self, message)
        except Exception:
            logger.exception(
                "%s.%s raised while handling a message",
                type(self).__qualname__,
                getattr(func, "__name__", "handler"),
            )
            await self._send_frame(self._plan.internal_error_frame)
            return
        if result is not None:
            await self._send_frame(self._plan.codec.encode(result), result)

    async def _on_layer_message(self, message: dict[str, Any]) -> None:
        """Serve one channel-layer message: a group relay or an event."""
        kind = message.get("type")
        plan = self._plan
        if kind == RELAY_TYPE:
            if message.get("exclude") != self.channel_name or not self.channel_name:
                if message.get("wire") == plan.codec.wire_id:
                    await self._send_frame(message["frame"])
                else:
                    await self._send_frame(plan.codec.encode_data(message["message"]))
            if self.send_completion:
                await self._send_frame(plan.group_complete_frame)
        elif kind == EVENT_TYPE:
            try:
                event = plan.event_decoder.decode(message.get("event"))
            except FrameError as error:
                logger.warning(
                    "%s dropped an event it cannot handle: %s", plan.consumer, error.code
                )
            else:
                await self._dispatch(plan.event_dispatch[type(event)].func, event)
            if self.send_completion:
                await self._send_frame(plan.event_complete_frame)
        else:
            logger.debug("%s ignored a layer message of type %r", plan.consumer, kind)

    async def _on_disconnected(self, code: int) -> None:
        """After the socket closed: leave groups, run the hook, notify observers."""
        self.state = ConnectionState.CLOSED
        expiry.disarm(self)
        if not self.authenticated:
            return
        layer = self.channel_layer
        if layer is not None and self.channel_name:
            for group in self.groups:
                try:
                    await layer.group_discard(group, self.channel_name)
                except LayerClosed:
                    break
                except Exception:
                    logger.exception("leaving group %r failed", group)
        try:
            await self.disconnect(code)
        except Exception:
            logger.exception("%s.disconnect raised", type(self).__qualname__)
        from chanx.kernel import get_plugin_host

        host = get_plugin_host()
        if host.has_connection_closed_observers:
            host.connection_closed(self, code)

    def _log_frame(self, direction: str, frame: str | bytes, message: BaseMessage | None) -> None:
        action = getattr(message, self._plan.discriminator_field, None) if message else None
        if action in self.log_ignored_actions:
            return
        logger.info("%s %s action=%s bytes=%d", self._plan.consumer, direction, action, len(frame))
        logger.debug("%s %s frame=%r", self._plan.consumer, direction, frame)


_TEXT = WireCodec()
_TEXT_COMPLETE = _TEXT.encode(CompleteMessage())
_STATUS_TEXT = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Server Error"}
