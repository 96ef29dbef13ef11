"""The decorators a consumer is written with: `channel`, `ws_handler`, `event_handler`.

They only record metadata on the function or class; the consumer compiles that metadata into a
plan once, when the class is created (see `chanx.core.plan`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, TypeVar, overload

__all__ = ["ChannelInfo", "HandlerSpec", "channel", "event_handler", "ws_handler"]

HANDLER_ATTR = "__chanx_handler__"
CHANNEL_ATTR = "__chanx_channel__"

F = TypeVar("F", bound=Callable[..., Any])
C = TypeVar("C", bound=type)


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """What a `@ws_handler` or `@event_handler` decorator recorded on a method."""

    kind: Literal["ws", "event"]
    action: str | None = None
    input_type: Any = None
    output_type: Any = None
    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """What `@channel` recorded on a consumer class (documentation metadata)."""

    name: str | None = None
    description: str | None = None
    tags: tuple[str, ...] = ()


def _mark(func: F, spec: HandlerSpec) -> F:
    if not callable(func):
        raise TypeError(f"@{spec.kind}_handler decorates a method, not {func!r}")
    setattr(func, HANDLER_ATTR, spec)
    return func


def _decorate(func: F | None, spec: HandlerSpec) -> F | Callable[[F], F]:
    """Shared body of `ws_handler` / `event_handler`: mark `func` now, or return the marker."""
    if isinstance(func, type):
        name = func.__name__
        raise TypeError(
            f"@{spec.kind}_handler({name}): the decorator takes keyword arguments only; a "
            f"message class goes in the handler's annotation, `async def handle(self, message: "
            f"{name})`, or in `@{spec.kind}_handler(input_type={name})`."
        )
    if func is not None:
        return _mark(func, spec)
    return lambda f: _mark(f, spec)


@overload
def ws_handler(func: F, /) -> F: ...
@overload
def ws_handler(
    func: None = None,
    /,
    *,
    action: str | None = None,
    input_type: Any = None,
    output_type: Any = None,
    summary: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = (),
) -> Callable[[F], F]: ...
def ws_handler(
    func: F | None = None,
    /,
    *,
    action: str | None = None,
    input_type: Any = None,
    output_type: Any = None,
    summary: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = (),
) -> F | Callable[[F], F]:
    """Mark a consumer method as the handler of messages sent by WebSocket clients.

    Usable bare (`@ws_handler`) or called (`@ws_handler(summary=...)`). The message type is
    read from the annotation of the method's message parameter and its return annotation
    gives the reply type; `input_type` / `output_type` set them explicitly.

    Args:
        func: The handler, when used without parentheses.
        action: Operation name in the documentation; defaults to the method name without a
            leading `handle_`.
        input_type: The message type(s) handled (a `BaseMessage` subclass or a union).
        output_type: The type sent back or broadcast, for documentation, when the method
            returns `None` and sends explicitly.
        summary: Short description for AsyncAPI.
        description: Long description for AsyncAPI (defaults to the docstring).
        tags: Tags for AsyncAPI grouping.

    Returns:
        The method itself, marked, or a decorator that marks it.
    """
    spec = HandlerSpec("ws", action, input_type, output_type, summary, description, tuple(tags))
    return _decorate(func, spec)


@overload
def event_handler(func: F, /) -> F: ...
@overload
def event_handler(
    func: None = None,
    /,
    *,
    action: str | None = None,
    input_type: Any = None,
    output_type: Any = None,
    summary: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = (),
) -> Callable[[F], F]: ...
def event_handler(
    func: F | None = None,
    /,
    *,
    action: str | None = None,
    input_type: Any = None,
    output_type: Any = None,
    summary: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = (),
) -> F | Callable[[F], F]:
    """Mark a consumer method as the handler of events sent through the channel layer.

    Events come from the server side (HTTP views, background tasks, other consumers) through
    `send_event` / `broadcast_event`. What the method returns is sent to the WebSocket client.

    Args:
        func: The handler, when used without parentheses.
        action: Operation name in the documentation; defaults to the method name without a
            leading `handle_`.
        input_type: The event type(s) handled.
        output_type: The type sent to the client, for documentation, when the method returns
            `None` and sends explicitly.
        summary: Short description for AsyncAPI.
        description: Long description for AsyncAPI (defaults to the docstring).
        tags: Tags for AsyncAPI grouping.

    Returns:
        The method itself, marked, or a decorator that marks it.
    """
    spec = HandlerSpec("event", action, input_type, output_type, summary, description, tuple(tags))
    return _decorate(func, spec)


@overload
def channel(cls: C, /) -> C: ...
@overload
def channel(
    cls: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = (),
) -> Callable[[C], C]: ...
def channel(
    cls: C | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: Sequence[str] = (),
) -> C | Callable[[C], C]:
    """Attach documentation metadata to a consumer class.

    Args:
        cls: The consumer class, when used without parentheses.
        name: Channel name in the documentation (defaults to the class name).
        description: Channel description (defaults to the class docstring).
        tags: Tags for AsyncAPI grouping.

    Returns:
        The class itself, or a decorator returning it.
    """
    info = ChannelInfo(name, description, tuple(tags))

    def apply(target: C) -> C:
        setattr(target, CHANNEL_ATTR, info)
        plan = target.__dict__.get("__chanx_plan__")
        if plan is not None:
            target.__chanx_plan__ = replace(plan, channel=info)  # type: ignore[attr-defined]
        return target

    return apply(cls) if cls is not None else apply
