"""`ConsumerPlan`: everything a consumer class needs per message, computed once per class.

`compile_plan(cls)` runs when a consumer class is created. It collects `@ws_handler` and
`@event_handler` methods across the MRO (mixins included), generates passthrough handlers,
builds one discriminated-union validator per direction, composes the selected formatters and
resolves the authenticator. Any mistake in the class is raised here, naming the class, the
method and the fix, so that nothing about routing is decided per message.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, TypeAdapter

from chanx import conf
from chanx.core.codec import Frame, FrameError, MessageDecoder, WireCodec
from chanx.core.decorators import CHANNEL_ATTR, HANDLER_ATTR, ChannelInfo, HandlerSpec
from chanx.core.groups import merged_class_lists
from chanx.core.handshake import refresh_message_type, refresh_route
from chanx.core.routes import (
    PASSTHROUGH_ATTR,
    ConsumerDefinitionError,
    Handler,
    Route,
    check_discriminator,
    collect_handlers,
    definition_namespace,
    make_route,
    passthrough_routes,
    snake_case,
    union_members,
)
from chanx.messages.base import BaseMessage, discriminator_values
from chanx.messages.outgoing import (
    AuthenticationMessage,
    CompleteMessage,
    ErrorMessage,
    ErrorPayload,
    EventCompleteMessage,
    GroupCompleteMessage,
)

if TYPE_CHECKING:
    from chanx.core.topics.plan import TopicsPlan
    from chanx.kernel.contracts import Formatter

__all__ = [
    "PASSTHROUGH_ATTR",
    "PLAN_ATTRIBUTES",
    "ConsumerDefinitionError",
    "ConsumerPlan",
    "EventDecoder",
    "Handler",
    "Route",
    "compile_plan",
    "snake_case",
]

PLAN_ATTRIBUTES = frozenset(
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
        "topics",
        "default_topic",
        "max_subscriptions",
        "subscribe_rate",
        "history_read_limit",
        "observers",
    }
)
"""Consumer attributes the plan is compiled from: set on a subclass, never per connection
(`BaseConsumer.check_overrides` refuses them in `as_asgi()`)."""


class EventDecoder:
    """Validates layer events; events may route on different discriminator fields."""

    __slots__ = ("_decoders",)

    def __init__(self, decoders: list[tuple[str, MessageDecoder]]) -> None:
        self._decoders = decoders

    def decode(self, data: Any) -> BaseMessage:
        """Validate one event dict, picking the decoder whose discriminator it carries."""
        if isinstance(data, dict):
            for name, decoder in self._decoders:
                if name in data:
                    return decoder.decode_data(data)
        raise FrameError("unknown_event", "Event matches no event handler of this consumer.")


@dataclass(frozen=True, slots=True)
class ConsumerPlan:
    """The compiled form of a consumer class (see the module docstring)."""

    consumer: str
    discriminator_field: str
    ws_routes: Mapping[str, Route]
    event_routes: Mapping[str, Route]
    ws_dispatch: Mapping[type, Route]
    event_dispatch: Mapping[type, Route]
    decoder: MessageDecoder
    event_decoder: EventDecoder
    codec: WireCodec
    authenticator_factory: Any
    authenticate_takes_scope: bool
    complete_frame: Frame
    event_complete_frame: Frame
    group_complete_frame: Frame
    internal_error_frame: Frame
    channel: ChannelInfo | None = None
    doc: str | None = field(default=None)
    extra_groups: tuple[str, ...] = ()
    emits: tuple[type[BaseMessage], ...] = ()
    topics: TopicsPlan | None = None
    """The consumer's topics (None: it mounts none, and frames take the plain path)."""
    observer: Any = None
    """The class's `Observer` (`chanx.core.observe`), or None: the unobserved code path."""


def compile_plan(cls: type, formatters: tuple[Formatter, ...], authenticator: Any) -> ConsumerPlan:
    """Build the plan of consumer class `cls`.

    Args:
        cls: The consumer class being created.
        formatters: The formatter instances the class selected, in order.
        authenticator: The authenticator class (already resolved from a name), or None.

    Raises:
        ConsumerDefinitionError: The class is inconsistent; the message says how to fix it.
    """
    name = cls.__qualname__
    disc: str = conf.value_for(cls, "discriminator_field")
    localns = definition_namespace() or cls.__dict__.get("__chanx_localns__", {})
    cls.__chanx_localns__ = localns  # type: ignore[attr-defined]  # for rebuilds
    handlers = collect_handlers(cls)
    ws_routes: dict[str, Route] = {}
    event_routes: dict[str, Route] = {}
    for method_name, func in handlers.items():
        spec: HandlerSpec = getattr(func, HANDLER_ATTR)
        route = make_route(cls, method_name, func, spec, localns)
        table = ws_routes if spec.kind == "ws" else event_routes
        for message_type in route.input_types:
            field_name = disc if spec.kind == "ws" else message_type.discriminator_field
            check_discriminator(name, route, message_type, field_name)
            for value in discriminator_values(message_type.model_fields[field_name].annotation):
                key = f"{field_name}={value}" if spec.kind == "event" else value
                other = table.get(key)
                if other is not None and other.method_name != method_name:
                    raise ConsumerDefinitionError(
                        f"{name}: {other.method_name}() and {method_name}() both handle "
                        f"{field_name} '{value}'. Keep one handler per {field_name}, or "
                        f"override {other.method_name}() under the same name."
                    )
                table[key] = route
    for route in passthrough_routes(cls, event_routes):
        (event_type,) = route.input_types
        field_name = event_type.discriminator_field
        for value in discriminator_values(event_type.model_fields[field_name].annotation):
            event_routes[f"{field_name}={value}"] = route

    ws_dispatch = {t: r for r in ws_routes.values() for t in r.input_types}
    refresh = _refresh_route(cls, authenticator, disc, ws_routes)
    if refresh is not None:
        ws_dispatch.update(dict.fromkeys(refresh.input_types, refresh))
    event_dispatch = {t: r for r in event_routes.values() for t in r.input_types}
    emits = _emits(cls)
    codec = _wire_codec(
        name, formatters, list(ws_dispatch), [*ws_routes.values(), *event_routes.values()], emits
    )
    accepted = [*ws_routes, *([refresh.action] if refresh is not None else [])]
    decoder = MessageDecoder(_union_adapter(list(ws_dispatch), disc), disc, accepted, codec)
    plain = WireCodec()
    by_field: dict[str, list[type[BaseMessage]]] = {}
    for event_type in event_dispatch:
        by_field.setdefault(event_type.discriminator_field, []).append(event_type)
    event_decoder = EventDecoder(
        [
            (f, MessageDecoder(_union_adapter(ts, f), f, [], plain))
            for f, ts in sorted(by_field.items())
        ]
    )
    topics = None
    if getattr(cls, "topics", None) or getattr(cls, "default_topic", None) is not None:
        from chanx.core.topics.plan import compile_topics

        topics = compile_topics(cls, codec, disc)
    internal = ErrorMessage(
        payload=ErrorPayload(
            code="internal_error", message="The server failed to handle this message."
        )
    )
    return ConsumerPlan(
        consumer=f"{cls.__module__}.{name}",
        discriminator_field=disc,
        ws_routes=ws_routes,
        event_routes=event_routes,
        ws_dispatch=ws_dispatch,
        event_dispatch=event_dispatch,
        decoder=decoder,
        event_decoder=event_decoder,
        codec=codec,
        authenticator_factory=authenticator,
        authenticate_takes_scope=_authenticate_takes_scope(authenticator),
        complete_frame=codec.encode(CompleteMessage()),
        event_complete_frame=codec.encode(EventCompleteMessage()),
        group_complete_frame=codec.encode(GroupCompleteMessage()),
        internal_error_frame=codec.encode(internal),
        channel=getattr(cls, CHANNEL_ATTR, None) if CHANNEL_ATTR in cls.__dict__ else None,
        doc=inspect.getdoc(cls) if cls.__doc__ else None,
        extra_groups=_extra_groups(cls),
        emits=emits,
        topics=topics,
    )


def _extra_groups(cls: type) -> tuple[str, ...]:
    try:
        groups = merged_class_lists(cls, "extra_groups")
    except TypeError as exc:
        raise ConsumerDefinitionError(str(exc)) from None
    for group in groups:
        if not isinstance(group, str) or not group:
            raise ConsumerDefinitionError(
                f"{cls.__qualname__}.extra_groups: {group!r} is not a group name (a non-empty "
                f"string; build one from values with chanx.utils.groups.safe_group_name)."
            )
    return groups


def _emits(cls: type) -> tuple[type[BaseMessage], ...]:
    """`emits` across the MRO: messages the consumer sends outside its handlers."""
    try:
        emitted = merged_class_lists(cls, "emits")
    except TypeError as exc:
        raise ConsumerDefinitionError(str(exc)) from None
    for message_type in emitted:
        concrete = isinstance(message_type, type) and issubclass(message_type, BaseMessage)
        if not concrete or message_type.__chanx_abstract__:
            raise ConsumerDefinitionError(
                f"{cls.__qualname__}.emits: {message_type!r} is not a concrete BaseMessage "
                f"subclass; list the message classes the consumer sends outside its handlers."
            )
    return emitted


_CHANX_OUTGOING: tuple[type[BaseMessage], ...] = (ErrorMessage, CompleteMessage)
_CHANX_OUTGOING += (EventCompleteMessage, GroupCompleteMessage, AuthenticationMessage)


def _wire_codec(
    consumer: str,
    formatters: tuple[Formatter, ...],
    incoming: list[type],
    routes: list[Route],
    emits: tuple[type[BaseMessage], ...] = (),
) -> WireCodec:
    """Compose the class's formatters once, showing them every message type it handles."""
    if not formatters:
        return WireCodec()
    outgoing = list(_CHANX_OUTGOING)
    outgoing.extend(m for m in emits if m not in outgoing)
    for route in routes:
        for member in union_members(route.output_type):
            if isinstance(member, type) and issubclass(member, BaseMessage):
                outgoing += [] if member in outgoing else [member]
    try:
        return WireCodec(formatters, incoming=incoming, outgoing=outgoing)
    except (TypeError, ValueError) as exc:
        names = ", ".join(repr(f.name) for f in formatters)
        raise ConsumerDefinitionError(f"{consumer}.formatters ({names}): {exc}") from None


def _union_adapter(
    message_types: list[type[BaseMessage]], field_name: str
) -> TypeAdapter[Any] | None:
    if not message_types:
        return None
    union: Any = Union[tuple(message_types)]  # noqa: UP007 - built from a runtime tuple
    annotated: Any = Annotated[union, Field(discriminator=field_name)]
    return TypeAdapter(annotated)


def _refresh_route(
    cls: type, authenticator: Any, disc: str, ws_routes: Mapping[str, Route]
) -> Route | None:
    """The route of the authenticator's `refresh_action`, unless a handler owns that action.

    Routed like any client message (the consumer's decoder, so every wire), but left out of
    `ws_routes`: it is the authenticator's protocol, not the consumer's documented API.
    """
    action = getattr(authenticator, "refresh_action", None)
    if not action or action in ws_routes:
        return None
    message = refresh_message_type(cls.__name__, action, disc)
    return Route("ws", "refresh", refresh_route, action, (message,), None, None, None, ())


def _authenticate_takes_scope(authenticator: Any) -> bool:
    """Upstream-style `authenticate(self, scope)` gets the scope; `authenticate(self)` does not."""
    if authenticator is None:
        return False
    params = list(inspect.signature(authenticator.authenticate).parameters.values())[1:]
    return bool(params) and params[0].default is inspect.Parameter.empty
