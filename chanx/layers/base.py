"""The ASGI channel-layer contract as chanx uses it.

A channel is a named FIFO queue with at-most-once delivery; a group is a named set of channels
that `group_send` fans a message out to. Layers are configured with a default `capacity` (queued
messages per channel), per-channel capacities by glob pattern (`channel_capacity`), the seconds a
message may wait before it expires (`expiry`) and the seconds a group membership lives
(`group_expiry`). Names and messages are checked by the helpers in this module, so every layer
rejects the same input with the same error.
"""

from __future__ import annotations

import fnmatch
import logging
import math
import re
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "MAX_NAME_LENGTH",
    "BaseChannelLayer",
    "ChannelListener",
    "LayerStats",
    "validate_channel_name",
    "validate_group_name",
    "validate_message",
]

logger = logging.getLogger("chanx.layers")

MAX_NAME_LENGTH = 100
"""Channel and group names must be shorter than this."""

_CHANNEL_NAME = re.compile(r"[A-Za-z0-9_.\-]+(?:![A-Za-z0-9_.\-]*)?")
_GROUP_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_NAME_RULE = "ASCII letters, digits, '-', '_' and '.'"
_CHANNEL_RULE = (
    f"use only {_NAME_RULE} (plus at most one '!' after the prefix, for process-local "
    f"channels), fewer than {MAX_NAME_LENGTH} characters."
)
_GROUP_RULE = (
    f"use only {_NAME_RULE}, fewer than {MAX_NAME_LENGTH} characters "
    "('!' is reserved for channel names)."
)


def _bad_name(name: object, kind: str, rule: str) -> Exception:
    """The error for a channel or group name that failed its check."""
    if not isinstance(name, str):
        return TypeError(f"{kind} name must be a str, got {type(name).__name__}: {name!r}")
    return ValueError(f"Invalid {kind.lower()} name {name!r}: {rule}")


def validate_channel_name(name: object) -> str:
    """Check a channel name against the contract and return it.

    Args:
        name: The candidate name. A single `!` may separate the process-local part.

    Returns:
        The name, unchanged.

    Raises:
        TypeError: The name is not a string.
        ValueError: The name is empty, too long or has characters outside the allowed set.
    """
    if isinstance(name, str) and len(name) < MAX_NAME_LENGTH and _CHANNEL_NAME.fullmatch(name):
        return name
    raise _bad_name(name, "Channel", _CHANNEL_RULE)


def validate_group_name(name: object) -> str:
    """Check a group name against the contract and return it.

    Args:
        name: The candidate name.

    Returns:
        The name, unchanged.

    Raises:
        TypeError: The name is not a string.
        ValueError: The name is empty, too long or has characters outside the allowed set.
    """
    if isinstance(name, str) and len(name) < MAX_NAME_LENGTH and _GROUP_NAME.fullmatch(name):
        return name
    raise _bad_name(name, "Group", _GROUP_RULE)


def validate_message(message: object) -> dict[str, Any]:
    """Check that a message is a dict with a str ``"type"`` key and return it.

    Args:
        message: The candidate message.

    Returns:
        The message, unchanged (never copied).

    Raises:
        TypeError: The message is not a dict, or its ``"type"`` is not a str.
        ValueError: The message has no ``"type"`` key.
    """
    if not isinstance(message, dict):
        raise TypeError(
            f"A channel layer message must be a dict, got {type(message).__name__}; "
            'send e.g. {"type": "chat.message", ...}.'
        )
    try:
        kind = message["type"]
    except KeyError:
        raise ValueError(
            f'A channel layer message needs a "type" key naming its handler; got keys '
            f"{sorted(map(str, message))}."
        ) from None
    if not isinstance(kind, str):
        raise TypeError(f'Message "type" must be a str, got {type(kind).__name__}: {kind!r}')
    return message


class ChannelListener(Protocol):
    """A receiver that a process-local layer hands messages to instead of a waiting task.

    A layer's `listen(channel, listener)` returns whether it will offer the channel's
    messages to the listener (`InMemoryChannelLayer`: always; the Redis layer: for the
    channels of its own process, on the loop that serves them). From then on it offers every
    message sent to the channel while nothing is queued there; a listener that is busy
    declines, and the layer queues the message (capacity, expiry and drops as for any
    receiver) until the listener takes it with `receive_nowait`. A listener declining a
    message must take the queue later.
    """

    def offer(self, message: dict[str, Any]) -> bool:
        """Take `message` now (True) or decline it (False); called inside the sender's call."""
        ...

    def layer_closed(self) -> None:
        """The layer was closed: no message will come any more."""
        ...


@dataclass(slots=True)
class LayerStats:
    """Counters a layer keeps since it was created.

    Attributes:
        sent: Messages accepted into a channel (one per member for `group_send`).
        delivered: Messages handed to a `receive` caller or a listener.
        dropped_full: Messages refused because the channel was at capacity: `send` raised
            `ChannelFull`, or `group_send` dropped the message for that member.
        expired: Messages discarded because they waited longer than `expiry`.
    """

    sent: int = 0
    delivered: int = 0
    dropped_full: int = 0
    expired: int = 0


def _positive(name: str, value: object, *, integer: bool = False) -> float:
    """Return a positive config number or raise a clear error."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (integer and not isinstance(value, int))
    ):
        wanted = "an int" if integer else "a number of seconds"
        raise TypeError(f"Channel layer {name} must be {wanted}, got {value!r}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"Channel layer {name} must be positive and finite, got {value!r}")
    return value


class BaseChannelLayer(ABC):
    """Abstract channel layer: the contract chanx consumers and adapters rely on.

    Args:
        expiry: Seconds a queued message may wait for a receiver before it is discarded.
        group_expiry: Seconds a group membership lives unless renewed by `group_add`.
        capacity: Messages a channel may hold before `send` raises `ChannelFull`.
        channel_capacity: Capacity overrides: glob pattern (or compiled regex) to capacity;
            the first pattern that matches a channel name wins.

    Raises:
        TypeError: A config value has the wrong type.
        ValueError: A config value is not positive.
    """

    extensions: ClassVar[list[str]] = ["groups", "flush"]
    MAX_NAME_LENGTH: ClassVar[int] = MAX_NAME_LENGTH
    """Channel and group names must be shorter than this (Channels' attribute name)."""
    drop_log_interval: ClassVar[float] = 10.0
    """At most one WARNING about dropped messages per this many seconds, per layer."""

    clock: Callable[[], float] = staticmethod(time.monotonic)
    """Monotonic time source for expiry; tests may replace it on an instance."""

    def __init__(
        self,
        *,
        expiry: float = 60,
        group_expiry: float = 86400,
        capacity: int = 100,
        channel_capacity: Mapping[str | re.Pattern[str], int] | None = None,
    ) -> None:
        self.expiry = _positive("expiry", expiry)
        self.group_expiry = _positive("group_expiry", group_expiry)
        self.capacity = int(_positive("capacity", capacity, integer=True))
        self.channel_capacity: list[tuple[re.Pattern[str], int]] = []
        for pattern, value in (channel_capacity or {}).items():
            compiled = (
                pattern
                if isinstance(pattern, re.Pattern)
                else re.compile(fnmatch.translate(pattern))
            )
            limit = int(_positive(f"channel_capacity[{pattern!r}]", value, integer=True))
            self.channel_capacity.append((compiled, limit))
        self.stats = LayerStats()
        self._drops_unreported = 0
        self._next_drop_report = -math.inf

    def get_capacity(self, channel: str) -> int:
        """Return the capacity of `channel`: the first matching pattern's, else the default."""
        for pattern, limit in self.channel_capacity:
            if pattern.match(channel):
                return limit
        return self.capacity

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(capacity={self.capacity}, expiry={self.expiry}, "
            f"group_expiry={self.group_expiry})"
        )

    # Django Channels' `BaseChannelLayer` helpers, so code written against Channels' layers
    # (consumers, tests, management commands) runs unchanged on chanx's. Channels raises
    # TypeError for any bad name; these do too, with chanx's message.

    def require_valid_channel_name(self, name: object, receive: bool = False) -> bool:
        """Return True if `name` is a valid channel name (Channels' spelling).

        Args:
            name: The candidate name.
            receive: Accepted for Channels' signature; a full process-local name is
                receivable here, so it changes nothing.

        Raises:
            TypeError: The name is not a valid channel name.
        """
        try:
            validate_channel_name(name)
        except ValueError as exc:
            raise TypeError(str(exc)) from None
        return True

    def require_valid_group_name(self, name: object) -> bool:
        """Return True if `name` is a valid group name (Channels' spelling).

        Raises:
            TypeError: The name is not a valid group name.
        """
        try:
            validate_group_name(name)
        except ValueError as exc:
            raise TypeError(str(exc)) from None
        return True

    def valid_channel_name(self, name: object, receive: bool = False) -> bool:
        """Channels' older name for `require_valid_channel_name`."""
        return self.require_valid_channel_name(name, receive)

    def valid_group_name(self, name: object) -> bool:
        """Channels' older name for `require_valid_group_name`."""
        return self.require_valid_group_name(name)

    def valid_channel_names(self, names: list[str], receive: bool = False) -> bool:
        """Return True if `names` is a non-empty list of valid channel names.

        Raises:
            TypeError: `names` is not a non-empty list, or one of them is invalid.
        """
        if not isinstance(names, list) or not names:
            raise TypeError(f"names must be a non-empty list of channel names, got {names!r}")
        for name in names:
            self.require_valid_channel_name(name, receive)
        return True

    def match_type_and_length(self, name: object) -> bool:
        """Whether `name` is a str shorter than `MAX_NAME_LENGTH`."""
        return isinstance(name, str) and len(name) < self.MAX_NAME_LENGTH

    @staticmethod
    def non_local_name(name: str) -> str:
        """The part of a channel name up to and including ``!`` (all of it without one)."""
        mark = name.find("!")
        return name if mark < 0 else name[: mark + 1]

    @abstractmethod
    async def new_channel(self, prefix: str = "specific.") -> str:
        """Return a new, unused channel name that starts with `prefix`."""

    @abstractmethod
    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Queue `message` on `channel`; raise `ChannelFull` if it is at capacity."""

    @abstractmethod
    async def receive(self, channel: str) -> dict[str, Any]:
        """Wait for and return the next unexpired message on `channel`."""

    @abstractmethod
    async def group_add(self, group: str, channel: str) -> None:
        """Add `channel` to `group` (or renew its membership)."""

    @abstractmethod
    async def group_discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`; a no-op if it is not a member."""

    @abstractmethod
    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Send `message` to every member of `group`; full members drop it (counted)."""

    @abstractmethod
    async def flush(self) -> None:
        """Discard every queued message and every group."""

    @abstractmethod
    async def close(self) -> None:
        """Release resources; the layer is unusable afterwards."""

    def _record_drop(self, channel: str, group: str | None) -> None:
        """Count a message dropped for a full channel; log at most once per interval."""
        self.stats.dropped_full += 1
        self._drops_unreported += 1
        now = self.clock()
        if now >= self._next_drop_report:
            self._report_drops(channel, group)
            self._next_drop_report = now + self.drop_log_interval

    def _report_drops(self, channel: str | None, group: str | None) -> None:
        """Log the drops counted since the last report, if any."""
        count, self._drops_unreported = self._drops_unreported, 0
        if not count:
            return
        if group is not None:
            where = f"latest: group {group!r}, channel {channel!r}"
        else:
            where = f"latest: channel {channel!r}" if channel is not None else "reported at close"
        logger.warning(
            "%r dropped %d message(s) for full channels since its last report (%s). "
            "Receivers are not keeping up: raise the capacity or slow the sender.",
            self,
            count,
            where,
            extra={"dropped": count, "channel": channel, "group": group},
        )
