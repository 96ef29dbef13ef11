"""The process's own channels: an in-memory layer whose counters and drop log are the owner's."""

from __future__ import annotations

from typing import Any

from chanx.layers.base import BaseChannelLayer
from chanx.layers.memory import InMemoryChannelLayer

__all__ = ["LocalChannels"]


class LocalChannels(InMemoryChannelLayer):
    """This process's channels and memberships; counters and drop logs belong to the owner."""

    yield_interval = 0.004
    """A burst of group sends yields every 4 ms (and whenever a member is half full), so
    receivers drain several messages per wake-up instead of one."""

    def __init__(self, owner: BaseChannelLayer, **config: Any) -> None:
        super().__init__(**config)
        self._owner = owner
        self.stats = owner.stats

    def _record_drop(self, channel: str, group: str | None) -> None:
        self._owner._record_drop(channel, group)
