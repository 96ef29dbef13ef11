"""`BaseConsumer`: what a consumer's handlers see, and how one frame or event is served.

The connection's life (handshake, reading, cleanup) is the generic ASGI loop in
`chanx.core.asgi`; the connection's state is its `Connection` (`chanx.core.connection`).
This module holds the handler-facing API (`send_message`, `broadcast_message`, groups,
`close`), the per-class plan compilation, and the serving of one client frame or one
channel-layer message. Adapters (Starlette/FastAPI in `chanx.fast_channels`, Django Channels
in `chanx.channels`) only construct consumers and hand them to the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from chanx import conf
from chanx.core.close_codes import CloseCode
from chanx.core.codec import Frame, FrameError, WireCodec
from chanx.core.connection import Connection, ConnectionState
from chanx.core.events import (
    EVENT_TYPE,
    RELAY_TYPE,
    TOPIC_TYPE,
    CapturedEvent,
    EventSender,
    EventT,
    dump_event,
)
from chanx.core.failures import error_frame, log_failure
from chanx.core.groups import default_groups, target_groups
from chanx.core.limits import ConnectionLimits
from chanx.core.observe import instrument, resolve_observers
from chanx.core.plan import PLAN_ATTRIBUTES, ConsumerPlan, compile_plan
from chanx.core.resolve import resolve_authenticator, resolve_formatters
from chanx.messages.base import BaseMessage
from chanx.messages.outgoing import CompleteMessage

if TYPE_CHECKING:
    from chanx.core.topic import Topic
    from chanx.core.topics.session import TopicSession
    from chanx.kernel.contracts import ChannelLayer

__all__ = ["RUNTIME_SETTINGS", "BaseConsumer", "CapturedEvent", "ConnectionState", "EventT"]

logger = logging.getLogger("chanx.consumer")

RUNTIME_SETTINGS = (
    "send_completion",
    "send_message_immediately",
    "send_authentication_message",
    "log_websocket_message",
    "log_ignored_actions",
)
"""Settings read per connection (resolved onto the instance when it connects)."""


class BaseConsumer(ConnectionLimits, EventSender[EventT]):
    """Runtime shared by every adapter. Configure a consumer with these class attributes.

    Attributes left at None take their value from the settings store (`chanx.configure()`,
    Django's ``settings.CHANX``; see the settings table in the docs); when a connection
    opens, the instance holds the resolved values.

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
        topics: Topic classes clients may subscribe to over this connection.
        default_topic: The topic a connection subscribes to from its URL parameters, and
            that frames without a `topic` key belong to (see `Topic.as_consumer()`).
        max_subscriptions: Topics one connection may be subscribed to at once.
        subscribe_rate: (subscribes, per seconds) one connection may make, or None.
        history_read_limit: Most missed pushes one resume replays (more: not recovered).
        observers: Registered observer names (e.g. `("otel",)`); None uses the
            `observers` setting.
    """

    send_completion: bool | None = None
    send_message_immediately: bool | None = None
    log_websocket_message: bool | None = None
    log_ignored_actions: Sequence[str] | None = None
    camelize: ClassVar[bool | None] = None
    formatters: ClassVar[Sequence[str]] = ()
    discriminator_field: ClassVar[str | None] = None
    channel_layer_alias: ClassVar[str | None] = "default"
    authenticator_class: ClassVar[Any] = None
    authenticator_options: ClassVar[Mapping[str, Any] | None] = None
    send_authentication_message: bool | None = None
    groups: list[str] = []  # copied per instance in __init__
    extra_groups: ClassVar[Sequence[str]] = ()
    emits: ClassVar[Sequence[type[BaseMessage]]] = ()
    passthrough_events: ClassVar[Sequence[type[BaseMessage]]] = ()
    passthrough_method_prefix: ClassVar[str] = "handle_passthrough_"
    topics: ClassVar[Sequence[type[Topic[Any]]]] = ()
    default_topic: ClassVar[type[Topic[Any]] | None] = None
    max_subscriptions: ClassVar[int] = 100
    subscribe_rate: ClassVar[tuple[int, float] | None] = (50, 1.0)
    history_read_limit: ClassVar[int] = 1000
    observers: ClassVar[Sequence[str] | None] = None

    __chanx_plan__: ClassVar[ConsumerPlan]
    __chanx_plan_generation__: ClassVar[int]

    scope: MutableMapping[str, Any]
    authenticator: Any
    channel_layer: ChannelLayer | None
    channel_name: str
    connection: Connection
    _topic_session: TopicSession

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        cls._compile()

    @classmethod
    def _compile(cls) -> ConsumerPlan:
        from chanx.kernel import get_plugin_host

        conf.refresh()
        generation = conf.generation
        host = get_plugin_host()
        plan = compile_plan(cls, resolve_formatters(cls, host), resolve_authenticator(cls, host))
        plan = instrument(plan, resolve_observers(cls, host))
        first = "__chanx_plan__" not in cls.__dict__
        cls.__chanx_plan__ = plan
        cls.__chanx_plan_generation__ = generation
        if first:
            host.validate_consumer(cls)
            host.consumer_prepared(cls)
        return plan

    @classmethod
    def current_plan(cls) -> ConsumerPlan:
        """The class's plan, recompiled if the settings changed since it was built."""
        conf.refresh()
        if cls.__dict__.get("__chanx_plan_generation__") == conf.generation:
            return cls.__chanx_plan__
        return cls._compile()

    def __init__(self, scope: MutableMapping[str, Any] | None = None) -> None:
        self.groups = default_groups(type(self))  # groups, then extra_groups
        if scope is not None:
            self.scope = scope
        self.authenticator = None
        self.channel_layer = None
        self.channel_name = ""
        self.authenticated = False
        self._plan = type(self).__chanx_plan__

    @classmethod
    def check_overrides(cls, overrides: Mapping[str, Any]) -> None:
        """Reject `as_asgi(**overrides)` names that are unknown or shape the compiled plan."""
        for key in overrides:
            if key in PLAN_ATTRIBUTES:
                raise TypeError(
                    f"{cls.__qualname__}.as_asgi({key}=...): {key} shapes the compiled plan; "
                    f"set it on a subclass instead."
                )
            if not hasattr(cls, key):
                raise TypeError(
                    f"{cls.__qualname__}.as_asgi() got {key!r}, which is not an attribute of "
                    f"the class."
                )

    def apply_overrides(self, overrides: Mapping[str, Any]) -> None:
        """Set `as_asgi()` overrides on this instance (lists are copied)."""
        for key, value in overrides.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)

    @property
    def user(self) -> Any:
        """The authenticated user, as set by the authenticator (None without one)."""
        return getattr(self.authenticator, "user", None)

    @property
    def subscriptions(self) -> Mapping[str, Topic[Any]]:
        """This connection's topic subscriptions: topic name -> subscription."""
        session: TopicSession | None = self.__dict__.get("_topic_session")
        return {} if session is None else session.subscriptions

    @property
    def state(self) -> ConnectionState:
        """Where the connection is in its life."""
        connection = self.__dict__.get("connection")
        return ConnectionState.CONNECTING if connection is None else connection.state

    # -- hooks ------------------------------------------------------------------------------

    async def post_authentication(self) -> None:
        """Called once the connection is authenticated, in its groups, and accepted."""

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
        if self._plan.observer is not None:
            self._plan.observer.stamp(relay, layer)
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
        connection = self.__dict__.get("connection")
        if connection is not None:
            await connection.close(code, reason)

    async def _send_frame(self, frame: Frame, message: BaseMessage | None = None) -> None:
        if self.log_websocket_message:
            self._log_frame("sent", frame, message)
        await self.connection.send(frame)

    def _require_layer(self, what: str) -> ChannelLayer:
        if self.channel_layer is None:
            return type(self)._layer_for_events(what)
        return self.channel_layer

    # -- serving one client frame or one layer message -------------------------------------

    async def _serve_client_frame(self, message: MutableMapping[str, Any]) -> None:
        """Serve one ASGI `websocket.receive`: validate, dispatch, reply; never raise."""
        text = message.get("text")
        plan = self._plan
        try:
            if text is not None:
                decoded = plan.decoder.decode_text(text)
            else:
                decoded = plan.decoder.decode_binary(message.get("bytes") or b"")
        except FrameError as error:
            reply = error.to_message()
            if error.text_reply:  # a text frame on a binary wire: answer in JSON text
                await self._send_frame(_TEXT.encode(reply), reply)
                if self.send_completion:
                    await self._send_frame(_TEXT_COMPLETE)
                return
            await self._send_frame(plan.codec.encode(reply), reply)
        else:
            if self.log_websocket_message:
                self._log_frame("received", text or message.get("bytes") or b"", decoded)
            await self._dispatch(plan.ws_dispatch[type(decoded)].func, decoded, message)
        if self.send_completion:
            await self._send_frame(plan.complete_frame)

    async def _dispatch(
        self,
        func: Callable[..., Any],
        message: BaseMessage,
        raw: MutableMapping[str, Any] | None = None,
    ) -> None:
        try:
            result = await func(self, message)
        except Exception:
            log_failure(self, func, message, "raised")
            await self._send_frame(error_frame(self._plan, raw))
            return
        if result is None:
            return
        if not isinstance(result, BaseMessage):
            log_failure(
                self,
                func,
                message,
                f"returned {type(result).__qualname__}, not a message: nothing was sent. "
                f"Return a BaseMessage subclass instance (or None)",
                exc_info=False,
            )
            await self._send_frame(error_frame(self._plan, raw))
            return
        await self._send_frame(self._plan.codec.encode(result), result)

    async def _serve_layer_message(self, message: dict[str, Any]) -> None:
        """Serve one channel-layer message: a group relay or an event."""
        kind = message.get("type")
        plan = self._plan
        if kind == RELAY_TYPE:
            if not self._excluded_from(message):
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
        elif kind == TOPIC_TYPE:
            session: TopicSession | None = self.__dict__.get("_topic_session")
            if session is not None:
                await session.serve_push(message)
        else:
            logger.debug("%s ignored a layer message of type %r", plan.consumer, kind)

    def _forward_relay(self, message: dict[str, Any]) -> bool | asyncio.Task[None]:
        """`LayerInbox`'s quick path: forward a relay of this consumer's wire within the call.

        True when served, the task still sending it if the send suspended, else False."""
        if message.get("type") != RELAY_TYPE or message.get("wire") != self._plan.codec.wire_id:
            return False
        if self._excluded_from(message):
            return True
        return self.connection.send_now(message["frame"])

    def _excluded_from(self, message: dict[str, Any]) -> bool:
        """Whether this connection sent the relay and excluded itself from it."""
        name = self.channel_name
        return bool(name) and message.get("exclude") == name

    def _log_frame(self, direction: str, frame: str | bytes, message: BaseMessage | None) -> None:
        action = getattr(message, self._plan.discriminator_field, None) if message else None
        if action in (self.log_ignored_actions or ()):
            return
        logger.info("%s %s action=%s bytes=%d", self._plan.consumer, direction, action, len(frame))
        logger.debug("%s %s frame=%r", self._plan.consumer, direction, frame)


_TEXT = WireCodec()
_TEXT_COMPLETE = _TEXT.encode(CompleteMessage())
