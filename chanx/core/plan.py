"""`ConsumerPlan`: everything a consumer class needs per message, computed once per class.

`compile_plan(cls)` runs when a consumer class is created. It collects `@ws_handler` and
`@event_handler` methods across the MRO (mixins included), generates passthrough handlers,
builds one discriminated-union validator per direction, composes the selected formatters and
resolves the authenticator. Any mistake in the class is raised here, naming the class, the
method and the fix, so that nothing about routing is decided per message.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field, TypeAdapter

from chanx import conf
from chanx.core.codec import Frame, FrameError, MessageDecoder, WireCodec
from chanx.core.decorators import CHANNEL_ATTR, HANDLER_ATTR, ChannelInfo, HandlerSpec
from chanx.core.groups import merged_class_lists
from chanx.core.handshake import refresh_message_type, refresh_route
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
    from chanx.kernel.contracts import Formatter

__all__ = ["ConsumerDefinitionError", "ConsumerPlan", "EventDecoder", "Route", "compile_plan"]

PASSTHROUGH_ATTR = "__chanx_passthrough__"
Handler = Callable[[Any, Any], Awaitable[Any]]


class ConsumerDefinitionError(TypeError):
    """A consumer class is wrong in a way that is found when the class is created."""


@dataclass(frozen=True, slots=True)
class Route:
    """One handler: what it accepts, what it sends, and its documentation."""

    kind: str
    method_name: str
    func: Handler
    action: str
    input_types: tuple[type[BaseMessage], ...]
    output_type: Any
    summary: str | None
    description: str | None
    tags: tuple[str, ...]
    passthrough: bool = False


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
    localns = _definition_namespace() or cls.__dict__.get("__chanx_localns__", {})
    cls.__chanx_localns__ = localns  # type: ignore[attr-defined]  # for rebuilds
    handlers = _collect_handlers(cls)
    ws_routes: dict[str, Route] = {}
    event_routes: dict[str, Route] = {}
    for method_name, func in handlers.items():
        spec: HandlerSpec = getattr(func, HANDLER_ATTR)
        route = _make_route(cls, method_name, func, spec, localns)
        table = ws_routes if spec.kind == "ws" else event_routes
        for message_type in route.input_types:
            field_name = disc if spec.kind == "ws" else message_type.discriminator_field
            _check_discriminator(name, route, message_type, field_name)
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
    for route in _passthrough_routes(cls, event_routes):
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
        for member in _union_members(route.output_type):
            if isinstance(member, type) and issubclass(member, BaseMessage):
                outgoing += [] if member in outgoing else [member]
    try:
        return WireCodec(formatters, incoming=incoming, outgoing=outgoing)
    except (TypeError, ValueError) as exc:
        names = ", ".join(repr(f.name) for f in formatters)
        raise ConsumerDefinitionError(f"{consumer}.formatters ({names}): {exc}") from None


def _definition_namespace() -> dict[str, Any]:
    """Locals of the scope that is defining the consumer class (for string annotations)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "__init_subclass__":
        frame = frame.f_back  # type: ignore[assignment]
    while frame is not None and frame.f_code.co_name == "__init_subclass__":
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None or frame.f_locals is frame.f_globals:
        return {}
    return dict(frame.f_locals)


def _collect_handlers(cls: type) -> dict[str, Handler]:
    """Marked methods across the MRO, most-derived definition winning by name."""
    found: dict[str, Handler] = {}
    for klass in reversed(cls.__mro__):
        for attr_name, value in vars(klass).items():
            if hasattr(value, HANDLER_ATTR) and not hasattr(value, PASSTHROUGH_ATTR):
                found[attr_name] = value
            elif attr_name in found and callable(value) and not hasattr(value, PASSTHROUGH_ATTR):
                spec = getattr(found[attr_name], HANDLER_ATTR)
                setattr(value, HANDLER_ATTR, spec)  # an undecorated override keeps the role
                found[attr_name] = value
    return found


def _make_route(
    cls: type, method_name: str, func: Handler, spec: HandlerSpec, localns: dict[str, Any]
) -> Route:
    where = f"{cls.__qualname__}.{method_name}"
    decorator = f"@{spec.kind}_handler"
    if not inspect.iscoroutinefunction(func):
        raise ConsumerDefinitionError(f"{where}: {decorator} methods must be `async def`.")
    try:
        hints = typing.get_type_hints(func, globalns=func.__globals__, localns=localns)
    except NameError as exc:
        raise ConsumerDefinitionError(
            f"{where}: cannot resolve a type annotation ({exc}). Import the type at module "
            f"level, or pass input_type=/output_type= to {decorator}."
        ) from None
    params = list(inspect.signature(func).parameters.values())[1:]
    _check_parameters(where, decorator, method_name, params)
    input_type = spec.input_type
    if input_type is None and params:
        input_type = hints.get(params[0].name)
    if input_type is None:
        raise ConsumerDefinitionError(
            f"{where}: {decorator} needs an input type. Annotate the message parameter, e.g. "
            f"`async def {method_name}(self, message: ChatMessage)`, or pass input_type=..."
        )
    input_types = _union_members(input_type)
    for member in input_types:
        if not (isinstance(member, type) and issubclass(member, BaseMessage)):
            raise ConsumerDefinitionError(
                f"{where}: input type {member!r} is not a BaseMessage subclass."
            )
        if member.__chanx_abstract__:
            raise ConsumerDefinitionError(
                f"{where}: input type {member.__qualname__} is abstract; handle its concrete "
                f"subclasses instead."
            )
    output = spec.output_type if spec.output_type is not None else hints.get("return")
    return Route(
        kind=spec.kind,
        method_name=method_name,
        func=func,
        action=spec.action or method_name.removeprefix("handle_"),
        input_types=tuple(input_types),
        output_type=_strip_none(output),
        summary=spec.summary,
        description=spec.description or inspect.getdoc(func),
        tags=spec.tags,
    )


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _check_parameters(
    where: str, decorator: str, method_name: str, params: list[inspect.Parameter]
) -> None:
    """A handler is called as `handler(self, message)`: it must accept exactly that."""
    takes_message = bool(params) and (
        params[0].kind in _POSITIONAL or params[0].kind is inspect.Parameter.VAR_POSITIONAL
    )
    if not takes_message:
        raise ConsumerDefinitionError(
            f"{where}: {decorator} methods are called with the message as their one "
            f"argument; write `async def {method_name}(self, message: SomeMessage)`."
        )
    extra = [
        p.name
        for p in params[1:]
        if p.default is inspect.Parameter.empty
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    if extra:
        names = ", ".join(extra)
        raise ConsumerDefinitionError(
            f"{where}: {decorator} methods are called with the message only, so required "
            f"parameter(s) {names} would fail on every message. Give them a default, or read "
            f"what they carry from self (self.scope, self.user, self.groups)."
        )


def _check_discriminator(
    consumer: str, route: Route, message_type: type[BaseMessage], field_name: str
) -> None:
    info = message_type.model_fields.get(field_name)
    if info is None or not discriminator_values(info.annotation):
        raise ConsumerDefinitionError(
            f"{consumer}.{route.method_name}: {message_type.__qualname__} has no Literal "
            f"'{field_name}' field, which this consumer routes on (discriminator_field)."
        )


def _passthrough_routes(cls: type, explicit: dict[str, Route]) -> list[Route]:
    """Generate (and attach to `cls`) forwarding handlers for `passthrough_events`."""
    handled = {t for r in explicit.values() for t in r.input_types}
    prefix: str = cls.passthrough_method_prefix  # type: ignore[attr-defined]
    merged: list[type[BaseMessage]] = []
    for klass in reversed(cls.__mro__):
        for event_type in klass.__dict__.get("passthrough_events", ()):
            if event_type not in merged:
                merged.append(event_type)
    routes = []
    for event_type in merged:
        if not (isinstance(event_type, type) and issubclass(event_type, BaseMessage)):
            raise ConsumerDefinitionError(
                f"{cls.__qualname__}.passthrough_events: {event_type!r} is not a "
                f"BaseMessage subclass."
            )
        if event_type in handled:
            continue
        snake = snake_case(event_type.__name__)
        method_name = f"{prefix}{snake}"
        existing = cls.__dict__.get(method_name)
        if existing is not None and not hasattr(existing, PASSTHROUGH_ATTR):
            raise ConsumerDefinitionError(
                f"{cls.__qualname__}.{method_name} already exists, so the passthrough handler "
                f"for {event_type.__name__} cannot be generated; rename it or change "
                f"passthrough_method_prefix."
            )

        async def forward(self: Any, event: BaseMessage) -> BaseMessage:
            return event

        forward.__name__ = method_name
        forward.__qualname__ = f"{cls.__qualname__}.{method_name}"
        setattr(forward, PASSTHROUGH_ATTR, True)
        spec = HandlerSpec("event", snake, event_type, event_type)
        setattr(forward, HANDLER_ATTR, spec)
        setattr(cls, method_name, forward)
        doc = f"Forward {event_type.__name__} to the client unchanged."
        routes.append(
            Route(
                "event", method_name, forward, snake, (event_type,), event_type, None, doc, (), True
            )
        )
    return routes


def snake_case(name: str) -> str:
    """`UserJoinedNotification` -> `user_joined_notification`; `HTTPStatus` -> `http_status`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def _strip_none(annotation: Any) -> Any:
    if annotation is None or annotation is type(None):
        return None
    members = _union_members(annotation)
    if len(members) == 1:
        return members[0]
    return Union[tuple(members)]  # noqa: UP007 - built from a runtime tuple


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
