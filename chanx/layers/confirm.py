"""Confirmed sends: a caller that must know its messages left the process says so.

A network layer may buffer a `group_send` and send it moments later in a batch (the Redis
layer does), which is what a server wants. A script, a task or a synchronous view wants the
opposite: to return only once the broker has the message, and to get an error if it could not
be sent, because the process (or its temporary event loop) may end right afterwards. Inside
`confirmed_sends()`, layers that buffer wait for the broker instead, and raise on failure.
The `_sync` event twins (`Consumer.broadcast_event_sync`, ...) always send this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["confirmed_sends", "sends_confirmed"]

_confirming: ContextVar[bool] = ContextVar("chanx_confirmed_sends", default=False)


@contextmanager
def confirmed_sends() -> Iterator[None]:
    """Make layer sends in this context wait until the broker has each message.

    Example::

        with confirmed_sends():
            await layer.group_send("room", message)  # returns once Redis has it, or raises
    """
    token = _confirming.set(True)
    try:
        yield
    finally:
        _confirming.reset(token)


def sends_confirmed() -> bool:
    """Whether the running code asked for confirmed sends (for layer implementations)."""
    return _confirming.get()
