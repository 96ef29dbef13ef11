"""What topics need from a channel layer: offsets, bounded history and presence.

A layer that supports topics returns a `TopicStore` from its `topic_store()` method. The
in-memory layer keeps it in the process (`chanx.layers.memory_topics`); the Redis layer keeps
it in Redis, shared by every process (`chanx_layer_redis.topics`). `topic_store_for(layer)`
finds a layer's store and falls back to a process-local one for layers without topic support
(offsets and history are then per process, which is right only for one process).

Offsets count the pushes of one topic from 1 and never go back within an epoch. The epoch is
an opaque string that changes whenever the offsets and history of a topic were lost (a
process restart for the memory layer, a flush or expiry in Redis), so a client that resumes
from another epoch learns it cannot be caught up.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast, runtime_checkable

__all__ = [
    "HistoryWindow",
    "Position",
    "PresenceExpired",
    "TopicStore",
    "topic_store_for",
]

PresenceExpired = Callable[[str, str, "dict[str, Any] | None"], None]
"""Called with (topic, member id, info) for a member whose process stopped renewing it."""


@dataclass(frozen=True, slots=True)
class Position:
    """Where a topic is: the offset of its last push, in its current epoch."""

    offset: int
    epoch: str


@dataclass(frozen=True, slots=True)
class HistoryWindow:
    """The answer to a resume: where the topic is, and what was missed (None: not covered).

    Attributes:
        position: The topic's current offset and epoch.
        entries: `(offset, record)` pairs after the asked offset, in order; None when the
            history no longer holds all of them (other epoch, trimmed, too old, or more
            than the read limit).
    """

    position: Position
    entries: list[tuple[int, dict[str, Any]]] | None


@runtime_checkable
class TopicStore(Protocol):
    """Offsets, history and presence of topics, as a channel layer provides them."""

    on_presence_expired: PresenceExpired | None
    """Set by chanx: told about members removed because their process stopped renewing."""

    async def append(
        self, topic: str, record: dict[str, Any], *, size: int, ttl: float | None
    ) -> Position:
        """Give `record` the topic's next offset, keep the last `size` records (0: none),
        for at most `ttl` seconds (None: no age limit); return its position."""
        ...

    async def position(self, topic: str) -> Position:
        """The topic's current position (offset 0 in a fresh epoch if it has none)."""
        ...

    async def read(
        self, topic: str, after: int, epoch: str, *, limit: int, ttl: float | None
    ) -> HistoryWindow:
        """The records after offset `after` of epoch `epoch`, at most `limit` of them."""
        ...

    async def presence_join(self, topic: str, member: str, info: dict[str, Any] | None) -> None:
        """Record `member` (a connection) as present on `topic`, renewed until it leaves."""
        ...

    async def presence_leave(self, topic: str, member: str) -> bool:
        """Forget `member` on `topic`; False if it was not there (already expired)."""
        ...

    async def presence_members(self, topic: str) -> list[tuple[str, dict[str, Any] | None]]:
        """The members present on `topic` (expired ones removed first), oldest first."""
        ...


def topic_store_for(layer: Any) -> TopicStore:
    """The topic store of `layer` (its `topic_store()`), or a process-local fallback."""
    factory = getattr(layer, "topic_store", None)
    if callable(factory):
        return cast("TopicStore", factory())
    fallback = _fallbacks.get(layer)
    if fallback is None:
        from chanx.layers.memory_topics import MemoryTopicStore

        fallback = _fallbacks[layer] = MemoryTopicStore()
    return fallback


_fallbacks: weakref.WeakKeyDictionary[Any, TopicStore] = weakref.WeakKeyDictionary()
