"""The Redis layer's counters and its one error of its own."""

from __future__ import annotations

from dataclasses import dataclass

from chanx.layers.base import LayerStats

__all__ = ["RedisLayerStats", "RedisUnavailable"]


@dataclass(slots=True)
class RedisLayerStats(LayerStats):
    """`LayerStats` plus what only a network layer has.

    Attributes:
        published: PUBLISH commands that Redis accepted.
        unavailable: Group sends and sends that were not published because Redis could not
            be reached (their local part, if any, was still delivered).
        unroutable: Sends to another process's channel that no process was subscribed to
            (the process is gone, or was reconnecting): the message was lost.
        reconnects: Times the pub/sub connection was lost or could not be made.
        retried: Batches of publishes retried on a fresh connection after a connection error.
        abandoned: Queued publishes that `close` (or the end of their event loop) could not
            send in time or because Redis was unreachable: they were lost.
    """

    published: int = 0
    unavailable: int = 0
    unroutable: int = 0
    reconnects: int = 0
    retried: int = 0
    abandoned: int = 0


class RedisUnavailable(ConnectionError):
    """Redis could not be reached, so a `send` to another process's channel was not made."""
