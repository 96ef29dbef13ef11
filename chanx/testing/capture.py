"""`capture_broadcast_events`: record the events a test causes to be sent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from chanx.core import events as _events
from chanx.core.events import CapturedEvent

__all__ = ["CapturedEvent", "capture_broadcast_events"]


@contextmanager
def capture_broadcast_events(consumer: type | None = None) -> Iterator[list[CapturedEvent]]:
    """Collect every `send_event` / `broadcast_event` made inside the block.

    The events are still delivered; the capture only records them, in order.

    Args:
        consumer: Only record events sent through this consumer class (or its subclasses).

    Yields:
        The list the records are appended to.
    """
    captured: list[CapturedEvent] = []

    def tap(record: CapturedEvent) -> None:
        if consumer is None or issubclass(record.consumer, consumer):
            captured.append(record)

    _events.event_taps.append(tap)
    try:
        yield captured
    finally:
        _events.event_taps.remove(tap)
