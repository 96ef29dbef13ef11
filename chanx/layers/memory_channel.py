"""One channel of the in-memory layer: its queue, its waiting receivers, its listener.

A channel is created on first use and costs a few dozen bytes while idle: the queue and the
deque of waiting receivers are created only when something waits in them. A channel may have
one listener (`ChannelListener`): a message sent to it while nothing is queued is offered to
the listener first, synchronously, and queued only when the listener declines it; a listener
that declines (or is busy) takes queued messages later with `receive_nowait`, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx.layers.base import ChannelListener, LayerStats

__all__ = ["PACE_MAX_TURNS", "STALL_TURNS", "LocalChannel", "pace", "wake"]

logger = logging.getLogger("chanx.layers")

Message = dict[str, Any]

STALL_TURNS = 16
"""Loop turns without a single receive after which a lagging member counts as stalled."""
PACE_MAX_TURNS = 4096
"""Most loop turns one `group_send` waits for a lagging member, however it progresses."""


class LocalChannel:
    """One channel's queued messages, waiting receivers and listener."""

    __slots__ = ("capacity", "listener", "queue", "stalled_at", "taken", "waiters")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.queue: deque[tuple[float, Message]] | None = None
        self.waiters: deque[asyncio.Future[Message]] | None = None
        self.listener: ChannelListener | None = None
        self.taken = 0  # messages received from this channel
        self.stalled_at = -1  # `taken` when pacing last saw the receiver make no progress

    def lagging(self) -> bool:
        """More than half full, with a receiver that has been making progress."""
        queue = self.queue
        return (
            queue is not None and len(queue) > self.capacity >> 1 and self.stalled_at != self.taken
        )

    def idle(self) -> bool:
        """Nothing queued, nobody waiting, no listener: the channel may be forgotten."""
        return not self.queue and not self.waiters and self.listener is None

    def offer(self, message: Message) -> bool:
        """Hand `message` to the listener now; False when there is none or it declines.

        Call only while the queue is empty, so the listener sees messages in order.
        """
        listener = self.listener
        if listener is None:
            return False
        try:
            taken = listener.offer(message)
        except Exception:  # a listener must not break the sender's loop over members
            logger.exception("a channel listener raised; the message is queued instead")
            return False
        if taken:
            self.taken += 1
        return taken

    def enqueue(self, deadline: float, message: Message) -> int:
        """Append to the queue; return the queue's length before the append."""
        queue = self.queue
        if queue is None:
            queue = self.queue = deque()
        size = len(queue)
        queue.append((deadline, message))
        return size

    def take(self, now: float, stats: LayerStats) -> Message | None:
        """Pop the oldest unexpired message (counting it, and the expired ones, in `stats`)."""
        queue = self.queue
        while queue:
            deadline, message = queue.popleft()
            if deadline > now:
                stats.delivered += 1
                self.taken += 1
                return message
            stats.expired += 1
        return None

    def give_back(self, message: Message, deadline: float) -> None:
        """Return a message a cancelled receiver was handed: to a waiter, else first in line."""
        if not self.wake_waiter(message):
            self.enqueue(deadline, message)
            assert self.queue is not None
            self.queue.rotate(1)  # it was the oldest message handed out: first in line again

    def waiting(self) -> deque[asyncio.Future[Message]]:
        """The deque of waiting receivers (created on first use)."""
        waiters = self.waiters
        if waiters is None:
            waiters = self.waiters = deque()
        return waiters

    def purge(self, now: float) -> int:
        """Discard expired messages from the front of the queue; return how many."""
        queue = self.queue
        expired = 0
        while queue and queue[0][0] <= now:
            queue.popleft()
            expired += 1
        return expired

    def wake_waiter(self, message: Message) -> bool:
        """Hand `message` to the oldest live waiting receiver; False if none is left."""
        waiters = self.waiters
        while waiters:
            if wake(waiters.popleft(), message):
                return True
        return False


def wake(waiter: asyncio.Future[Message], message: Message) -> bool:
    """Hand `message` to a waiting receiver; False if it is gone (cancelled, loop closed)."""
    if waiter.done():
        return False
    try:
        waiter.set_result(message)
    except RuntimeError:  # its event loop was closed while it waited
        return False
    return True


async def pace(state: LocalChannel) -> None:
    """Yield until a lagging channel drains to a quarter, while its receiver progresses."""
    low = state.capacity >> 2
    taken = state.taken
    idle = 0
    for _ in range(PACE_MAX_TURNS):
        await asyncio.sleep(0)
        if state.queue is None or len(state.queue) <= low or state.stalled_at == state.taken:
            return
        if state.taken != taken:
            taken, idle = state.taken, 0
            continue
        idle += 1
        if idle >= STALL_TURNS:
            state.stalled_at = taken
            return
