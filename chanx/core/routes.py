"""Routes: a consumer class's handlers, collected across its MRO and checked once.

`compile_plan` (`chanx.core.plan`) asks this module for the class's `@ws_handler` and
`@event_handler` methods (mixins included) and its generated passthrough handlers, each as a
`Route` whose input and output types are resolved and checked. Every mistake is raised as a
`ConsumerDefinitionError` that names the class, the method and the fix.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Union, cast

from chanx.core.decorators import HANDLER_ATTR, HandlerSpec
from chanx.messages.base import BaseMessage, discriminator_values

__all__ = [
    "PASSTHROUGH_ATTR",
    "ConsumerDefinitionError",
    "Handler",
    "Route",
    "snake_case",
]

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


def definition_namespace() -> dict[str, Any]:
    """Locals of the scope that is defining the consumer class (for string annotations)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_name != "__init_subclass__":
        frame = frame.f_back  # type: ignore[assignment]
    while frame is not None and frame.f_code.co_name == "__init_subclass__":
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None or frame.f_locals is frame.f_globals:
        return {}
    return dict(frame.f_locals)


def collect_handlers(cls: type) -> dict[str, Handler]:
    """Marked methods across the MRO, most-derived definition winning by name."""
    found: dict[str, Handler] = {}
    for klass in reversed(cls.__mro__):
        for attr_name, value in vars(klass).items():
            if hasattr(value, HANDLER_ATTR) and not hasattr(value, PASSTHROUGH_ATTR):
                found[attr_name] = value
            elif attr_name in found and callable(value) and not hasattr(value, PASSTHROUGH_ATTR):
                spec = getattr(found[attr_name], HANDLER_ATTR)
                setattr(value, HANDLER_ATTR, spec)  # an undecorated override keeps the role
                found[attr_name] = cast("Handler", value)
    return found


def make_route(
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
    check_parameters(where, decorator, method_name, params)
    input_type = spec.input_type
    if input_type is None and params:
        input_type = hints.get(params[0].name)
    if input_type is None:
        raise ConsumerDefinitionError(
            f"{where}: {decorator} needs an input type. Annotate the message parameter, e.g. "
            f"`async def {method_name}(self, message: ChatMessage)`, or pass input_type=..."
        )
    input_types = union_members(input_type)
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
        output_type=strip_none(output),
        summary=spec.summary,
        description=spec.description or inspect.getdoc(func),
        tags=spec.tags,
    )


_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def check_parameters(
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


def check_discriminator(
    consumer: str, route: Route, message_type: type[BaseMessage], field_name: str
) -> None:
    info = message_type.model_fields.get(field_name)
    if info is None or not discriminator_values(info.annotation):
        raise ConsumerDefinitionError(
            f"{consumer}.{route.method_name}: {message_type.__qualname__} has no Literal "
            f"'{field_name}' field, which this consumer routes on (discriminator_field)."
        )


def passthrough_routes(cls: type, explicit: dict[str, Route]) -> list[Route]:
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


def union_members(annotation: Any) -> list[Any]:
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return [a for a in typing.get_args(annotation) if a is not type(None)]
    return [annotation]


def strip_none(annotation: Any) -> Any:
    if annotation is None or annotation is type(None):
        return None
    members = union_members(annotation)
    if len(members) == 1:
        return members[0]
    return Union[tuple(members)]  # noqa: UP007 - built from a runtime tuple
