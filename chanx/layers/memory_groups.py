"""The in-memory layer's groups: memberships, their expiry, and the order of a broadcast.

A broadcast walks the members in one pass; the member it starts at moves on by the golden
ratio of the group's size each time, so over any run of broadcasts every member is served,
on average, mid-way: none is always first and none is always last, whatever the group's
size or how often it is sent to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chanx.layers.memory_channel import LocalChannel

__all__ = ["GroupTable"]

_GOLDEN = 0.6180339887498949


class GroupTable:
    """Group name -> {channel: when it joined}, plus each group's lagging member."""

    __slots__ = ("_broadcasts", "laggards", "members")

    def __init__(self) -> None:
        self.members: dict[str, dict[str, float]] = {}
        self.laggards: dict[str, LocalChannel] = {}
        """The member the last send to each group left fullest, while it is lagging."""
        self._broadcasts = 0

    def add(self, group: str, channel: str, now: float) -> None:
        """Add `channel` to `group`, or renew its membership from `now`."""
        self.members.setdefault(group, {})[channel] = now

    def discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`, and the group once it is empty."""
        members = self.members.get(group)
        if members is not None:
            members.pop(channel, None)
            if not members:
                del self.members[group]
                self.laggards.pop(group, None)

    def in_turn(self, members: dict[str, float]) -> list[str]:
        """A broadcast's members, starting at the next member in turn.

        A list of the names only: the (name, joined) pairs of `members.items()` would be one
        new object per member, alive for the whole broadcast, and a broadcast to thousands
        would then set off the cyclic collector's young collections, which promote what the
        server allocates per send to the oldest generation and so bring on full collections
        that walk every connection's objects.
        """
        order = list(members)
        if len(order) > 1:
            self._broadcasts += 1
            start = int((self._broadcasts * _GOLDEN) % 1.0 * len(order))
            order = order[start:] + order[:start]
        return order

    def forget(self, group: str, members: dict[str, float], stale: list[str]) -> None:
        """Remove expired memberships of `group`, and the group once it is empty."""
        for channel in stale:
            members.pop(channel, None)
        if not members and self.members.get(group) is members:
            del self.members[group]
            self.laggards.pop(group, None)

    def expire(self, cutoff: float) -> None:
        """Remove every membership that joined (or was renewed) before `cutoff`."""
        for group, members in list(self.members.items()):
            stale = [channel for channel, joined in members.items() if joined < cutoff]
            if stale or not members:
                self.forget(group, members, stale)

    def clear(self) -> None:
        """Forget every group."""
        self.members.clear()
        self.laggards.clear()

    def __iter__(self) -> Iterator[str]:
        return iter(self.members)
