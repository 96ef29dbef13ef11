"""`capture_broadcast_events`: record the events a test causes to be sent."""

from __future__ import annotations

import inspect
from collections.abc import Collection, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from chanx.core.events import EventSender
from chanx.core.groups import default_groups, target_groups
from chanx.messages.base import BaseMessage

__all__ = ["CapturedBroadcastEvent", "CapturedEvent", "capture_broadcast_events"]


@dataclass(frozen=True, slots=True)
class CapturedEvent:
    """One `send_event` / `broadcast_event` call seen by `capture_broadcast_events`.

    Attributes:
        consumer: The consumer class the call was made on.
        event: The event.
        groups: The `groups` argument exactly as the caller passed it (a list, a tuple, a
            string, or None for the consumer's default groups); None for `send_event`.
        channel_name: The target of `send_event`; None for `broadcast_event`.
        targets: The groups the event went (or would have gone) to.
    """

    consumer: type
    event: BaseMessage
    groups: Collection[str] | str | None = None
    channel_name: str | None = None
    targets: tuple[str, ...] = field(default=())


CapturedBroadcastEvent = CapturedEvent
"""Upstream chanx's name for a captured event."""


@contextmanager
def capture_broadcast_events(
    consumer: type | None = None, suppress: bool = False
) -> Iterator[list[CapturedEvent]]:
    """Collect every `send_event` / `broadcast_event` made inside the block, in order.

    Their `_sync` twins are recorded too (they go through the same methods).

    Args:
        consumer: Only record events sent through this consumer class (or its subclasses);
            None records every consumer's events.
        suppress: Record the events without sending them (upstream chanx's default is
            True; chanx's is False, so delivery keeps working while a test watches).

    Yields:
        The list the records are appended to.
    """
    captured: list[CapturedEvent] = []
    target = consumer if consumer is not None else EventSender
    with ExitStack() as stack:
        for name in ("broadcast_event", "send_event"):
            stack.enter_context(_wrapped(target, name, captured, suppress))
        yield captured


@contextmanager
def _wrapped(
    target: type, name: str, captured: list[CapturedEvent], suppress: bool
) -> Iterator[None]:
    """Replace classmethod `name` on `target` with a recording one, restoring it after."""
    had_own = name in target.__dict__
    original = inspect.getattr_static(target, name)
    func = original.__func__

    signature = inspect.signature(func)

    async def record(cls: Any, *args: Any, **kwargs: Any) -> None:
        call = signature.bind(cls, *args, **kwargs)
        call.apply_defaults()
        event: BaseMessage = call.arguments["event"]
        if name == "broadcast_event":
            groups = call.arguments.get("groups")
            targets = target_groups(default_groups(cls), groups)
            captured.append(CapturedEvent(cls, event, groups=groups, targets=targets))
        else:
            channel_name = call.arguments.get("channel_name")
            captured.append(CapturedEvent(cls, event, channel_name=channel_name))
        if not suppress:
            await func(*call.args, **call.kwargs)

    setattr(target, name, classmethod(record))
    try:
        yield
    finally:
        if had_own:
            setattr(target, name, original)
        else:
            delattr(target, name)
