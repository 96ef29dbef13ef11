"""`MemoryTopicStore`: offsets, bounded history and presence of topics in this process.

Each topic gets a random epoch when its first push is counted, so a restarted process (a new
store) starts new epochs and resuming clients learn that their history is gone. A topic's
history is a deque of at most `size` records, trimmed by age as it is read and appended to.
Topics idle for `idle_expiry` seconds are forgotten (a later push starts a new epoch).
Presence needs no renewal here: the members live exactly as long as the process.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from chanx.layers.topics import HistoryWindow, Position, PresenceExpired

__all__ = ["MemoryTopicStore"]

_SWEEP_EVERY = 1024
"""Operations between two sweeps of idle topics."""


class _Topic:
    """One topic's epoch, last offset and history."""

    __slots__ = ("epoch", "history", "offset", "touched")

    def __init__(self, now: float) -> None:
        self.epoch = secrets.token_hex(6)
        self.offset = 0
        self.history: deque[tuple[int, float, dict[str, Any]]] = deque()
        self.touched = now

    def trim(self, size: int, ttl: float | None, now: float) -> None:
        history = self.history
        while len(history) > size:
            history.popleft()
        if ttl is not None:
            oldest = now - ttl
            while history and history[0][1] < oldest:
                history.popleft()


class MemoryTopicStore:
    """The topic store of the in-memory layer (one process, one event loop at a time).

    Args:
        idle_expiry: Seconds after its last push at which a topic's offsets and history
            are forgotten.
        clock: Time source (seconds); tests pass a fake one.
    """

    def __init__(
        self, *, idle_expiry: float = 86400, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.idle_expiry = idle_expiry
        self.clock = clock
        self.on_presence_expired: PresenceExpired | None = None
        self._topics: dict[str, _Topic] = {}
        self._presence: dict[str, dict[str, dict[str, Any] | None]] = {}
        self._operations = 0

    def _topic(self, name: str, now: float) -> _Topic:
        self._operations += 1
        if self._operations % _SWEEP_EVERY == 0:
            self._sweep(now)
        topic = self._topics.get(name)
        if topic is None or now - topic.touched > self.idle_expiry:
            topic = self._topics[name] = _Topic(now)
        return topic

    async def append(
        self, topic: str, record: dict[str, Any], *, size: int, ttl: float | None
    ) -> Position:
        """Count one push on `topic` and keep it in its bounded history."""
        now = self.clock()
        state = self._topic(topic, now)
        state.offset += 1
        state.touched = now
        if size > 0:
            state.history.append((state.offset, now, record))
        state.trim(size, ttl, now)
        return Position(state.offset, state.epoch)

    async def position(self, topic: str) -> Position:
        """The topic's current offset and epoch."""
        state = self._topic(topic, self.clock())
        return Position(state.offset, state.epoch)

    async def read(
        self, topic: str, after: int, epoch: str, *, limit: int, ttl: float | None
    ) -> HistoryWindow:
        """What `topic` pushed after `after` in `epoch`, if its history still holds it all."""
        now = self.clock()
        state = self._topic(topic, now)
        position = Position(state.offset, state.epoch)
        missed = state.offset - after
        if epoch != state.epoch or missed < 0 or missed > limit:
            return HistoryWindow(position, None)
        if missed == 0:
            return HistoryWindow(position, [])
        history = state.history
        if ttl is not None:
            oldest = now - ttl
            while history and history[0][1] < oldest:
                history.popleft()
        if not history or history[0][0] > after + 1:
            return HistoryWindow(position, None)
        start = len(history) - missed
        entries = [(offset, record) for offset, _, record in list(history)[start:]]
        return HistoryWindow(position, entries)

    async def presence_join(self, topic: str, member: str, info: dict[str, Any] | None) -> None:
        """Record `member` on `topic`."""
        self._presence.setdefault(topic, {})[member] = info

    async def presence_leave(self, topic: str, member: str) -> bool:
        """Forget `member` on `topic`."""
        members = self._presence.get(topic)
        if members is None or member not in members:
            return False
        del members[member]
        if not members:
            del self._presence[topic]
        return True

    async def presence_members(self, topic: str) -> list[tuple[str, dict[str, Any] | None]]:
        """The members of `topic`, in the order they joined."""
        return list(self._presence.get(topic, {}).items())

    def _sweep(self, now: float) -> None:
        idle = [n for n, t in self._topics.items() if now - t.touched > self.idle_expiry]
        for name in idle:
            del self._topics[name]
