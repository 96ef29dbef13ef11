"""The process-local channel layer: chanx's embedded default.

Every channel is a deque of ``(deadline, message)`` plus a deque of waiting receivers. A send to
a channel with a waiting receiver hands the message straight to it; otherwise it is queued up to
the channel's capacity. Expiry is checked lazily (on receive, at capacity, and in a periodic
sweep that also forgets idle channels and expired memberships), so the hot path never scans.
Messages are shared, not copied: receivers must treat them as read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

from chanx.layers.base import (
    BaseChannelLayer,
    validate_channel_name,
    validate_group_name,
    validate_message,
)
from chanx.layers.exceptions import ChannelFull, LayerClosed
from chanx.layers.memory_topics import MemoryTopicStore

if TYPE_CHECKING:
    import re
    from collections.abc import Mapping

__all__ = ["InMemoryChannelLayer"]

Message = dict[str, Any]

_SWEEP_INTERVAL_MAX = 30.0
_STALL_TURNS = 16
"""Loop turns without a single receive after which a lagging member counts as stalled."""
_PACE_MAX_TURNS = 4096
"""Most loop turns one `group_send` waits for a lagging member, however it progresses."""


class _Channel:
    """One channel's queued messages and waiting receivers."""

    __slots__ = ("capacity", "queue", "stalled_at", "taken", "waiters")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.queue: deque[tuple[float, Message]] = deque()
        self.waiters: deque[asyncio.Future[Message]] = deque()
        self.taken = 0  # messages received from this channel
        self.stalled_at = -1  # `taken` when pacing last saw the receiver make no progress

    def lagging(self) -> bool:
        """More than half full, with a receiver that has been making progress."""
        return len(self.queue) > self.capacity >> 1 and self.stalled_at != self.taken


def _wake(waiter: asyncio.Future[Message], message: Message) -> bool:
    """Hand `message` to a waiting receiver; False if it is gone (cancelled, loop closed)."""
    if waiter.done():
        return False
    try:
        waiter.set_result(message)
    except RuntimeError:  # its event loop was closed while it waited
        return False
    return True


class InMemoryChannelLayer(BaseChannelLayer):
    """A channel layer that lives in this process's memory (one event loop at a time).

    Delivery is at-most-once. `send` raises `ChannelFull` when the channel already holds
    `capacity` unexpired messages; `group_send` drops the message for such members instead,
    counts it in `stats.dropped_full` and logs a rate-limited WARNING. `group_send` paces a
    burst to its receivers (see there). Receivers must not mutate a received message: every
    group member gets the same object.

    Args:
        expiry: Seconds a queued message may wait for a receiver before it is discarded.
        group_expiry: Seconds a group membership lives unless renewed by `group_add`.
        capacity: Messages a channel may hold before `send` raises `ChannelFull`.
        channel_capacity: Capacity overrides: glob pattern (or compiled regex) to capacity.
    """

    yield_interval: ClassVar[float] = 0.0
    """Seconds `group_send` may go without yielding (0: yield on every call)."""

    def __init__(
        self,
        *,
        expiry: float = 60,
        group_expiry: float = 86400,
        capacity: int = 100,
        channel_capacity: Mapping[str | re.Pattern[str], int] | None = None,
    ) -> None:
        super().__init__(
            expiry=expiry,
            group_expiry=group_expiry,
            capacity=capacity,
            channel_capacity=channel_capacity,
        )
        self._channels: dict[str, _Channel] = {}
        self._groups: dict[str, dict[str, float]] = {}
        self._laggards: dict[str, _Channel] = {}
        self._closed = False
        self._topic_store: MemoryTopicStore | None = None
        self._sweep_interval = min(self.expiry, self.group_expiry, _SWEEP_INTERVAL_MAX)
        self._next_sweep = self.clock() + self._sweep_interval
        self._next_yield = -math.inf

    def topic_store(self) -> MemoryTopicStore:
        """Offsets, history and presence of topics served through this layer."""
        if self._topic_store is None:
            self._topic_store = MemoryTopicStore()
        return self._topic_store

    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return self._closed

    async def new_channel(self, prefix: str = "specific.") -> str:
        """Return a new channel name such as ``"specific.memory!3f9c0a41d27b8e65"``.

        Args:
            prefix: Start of the name; the result must still be a valid channel name.

        Raises:
            ValueError: The prefix makes the name invalid (bad characters, ``!``, too long).
        """
        self._check_open()
        return validate_channel_name(f"{prefix}memory!{secrets.token_hex(8)}")

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Hand `message` to a waiting receiver of `channel`, or queue it.

        Args:
            channel: The target channel name.
            message: A dict with a str ``"type"``; it is not copied.

        Raises:
            ChannelFull: The channel already holds its capacity of unexpired messages.
            LayerClosed: The layer was closed.
            TypeError: The name or message has the wrong type.
            ValueError: The name or message is malformed.
        """
        validate_channel_name(channel)
        validate_message(message)
        self._check_open()
        now = self.clock()
        if now >= self._next_sweep:
            self._sweep(now)
        state = self._channels.get(channel) or self._new_state(channel)
        if not self._put(state, message, now):
            self.stats.dropped_full += 1
            raise ChannelFull(
                f"Channel {channel!r} is full: {state.capacity} messages are waiting for its "
                "receiver. Retry later, or raise the capacity (channel_capacity)."
            )

    async def receive(self, channel: str) -> dict[str, Any]:
        """Wait for the next unexpired message on `channel`.

        Several tasks may receive on one channel; each message goes to exactly one of them,
        and a receiver cancelled just after a message was handed to it gives the message back.

        Args:
            channel: The channel to read.

        Returns:
            The message (shared with other group members: do not mutate it).

        Raises:
            LayerClosed: The layer was closed before or while waiting.
        """
        validate_channel_name(channel)
        self._check_open()
        state = self._channels.get(channel) or self._new_state(channel)
        queue = state.queue
        if queue:
            now = self.clock()
            while queue:
                deadline, message = queue.popleft()
                if deadline > now:
                    self.stats.delivered += 1
                    state.taken += 1
                    return message
                self.stats.expired += 1
        waiter: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        state.waiters.append(waiter)
        try:
            message = await waiter
        except asyncio.CancelledError:
            self._abandon(channel, state, waiter)
            raise
        self.stats.delivered += 1
        state.taken += 1
        return message

    async def group_add(self, group: str, channel: str) -> None:
        """Add `channel` to `group`, or renew its membership for another `group_expiry`."""
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        self._groups.setdefault(group, {})[channel] = self.clock()

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`; a no-op if it is not a member."""
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        members = self._groups.get(group)
        if members is not None:
            members.pop(channel, None)
            if not members:
                del self._groups[group]
                self._laggards.pop(group, None)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Deliver `message` (the same object) to every current member of `group`.

        A member at capacity does not get it: the drop is counted in `stats.dropped_full`
        and logged at most once per `drop_log_interval`.

        Fairness: the call yields to the event loop once after the fan-out (with a
        `yield_interval`, only once that many seconds passed since its last such yield). If
        the previous send to this group left a member more than half full, it first yields
        until that member drains to a quarter, for as long as its receiver keeps receiving,
        so a burst paces itself to its receivers instead of overflowing them. A member whose
        receiver takes nothing for 16 loop turns (gone, or blocked on I/O) counts as stalled
        and is not waited for until it receives again.

        Args:
            group: The group name; an unknown or empty group is not an error.
            message: A dict with a str ``"type"``; it is not copied.

        Raises:
            LayerClosed: The layer was closed.
            TypeError: The name or message has the wrong type.
            ValueError: The name or message is malformed.
        """
        validate_group_name(group)
        validate_message(message)
        self._check_open()
        laggard = self._laggards.get(group)
        if laggard is not None and laggard.lagging():
            await self._pace(laggard)
            self._check_open()
        now = self.clock()
        if now >= self._next_sweep:
            self._sweep(now)
        members = self._groups.get(group)
        laggard = None
        if members:
            # The fan-out loop is `_put` inlined: it runs once per member of every broadcast.
            channels = self._channels
            cutoff = now - self.group_expiry
            deadline = now + self.expiry
            stale: list[str] = []
            sent = deepest = 0
            for channel, joined in members.items():
                if joined < cutoff:
                    stale.append(channel)
                    continue
                state = channels.get(channel)
                if state is None:
                    state = self._new_state(channel)
                waiters = state.waiters
                while waiters:
                    if _wake(waiters.popleft(), message):
                        sent += 1
                        break
                else:
                    queue = state.queue
                    size = len(queue)
                    if size >= state.capacity:
                        self._purge(state, now)
                        size = len(queue)
                        if size >= state.capacity:
                            self._record_drop(channel, group)
                            continue
                    queue.append((deadline, message))
                    sent += 1
                    if size >= state.capacity >> 1 and size >= deepest and state.lagging():
                        laggard, deepest = state, size
            self.stats.sent += sent
            if stale:
                self._forget_members(group, members, stale)
        if laggard is not None:
            self._laggards[group] = laggard
        elif self._laggards:
            self._laggards.pop(group, None)
        if now >= self._next_yield:  # let receivers run before the caller's next send
            self._next_yield = now + self.yield_interval
            await asyncio.sleep(0)

    async def flush(self) -> None:
        """Discard queued messages and groups; pending receivers keep waiting."""
        self._groups.clear()
        self._laggards.clear()
        for name, state in list(self._channels.items()):
            state.queue.clear()
            if not state.waiters:
                del self._channels[name]

    async def close(self) -> None:
        """Fail pending receivers with `LayerClosed` and drop all state; idempotent."""
        if self._closed:
            return
        self._closed = True
        for state in self._channels.values():
            for waiter in state.waiters:
                if not waiter.done():
                    # A waiter from an event loop that has since closed cannot be woken.
                    with contextlib.suppress(RuntimeError):
                        waiter.set_exception(
                            LayerClosed(f"{self!r} was closed while this receive was waiting.")
                        )
        self._channels.clear()
        self._groups.clear()
        self._laggards.clear()
        self._report_drops(None, None)

    async def _pace(self, state: _Channel) -> None:
        """Yield until a lagging channel drains to a quarter, while its receiver progresses."""
        low = state.capacity >> 2
        taken = state.taken
        idle = 0
        for _ in range(_PACE_MAX_TURNS):
            await asyncio.sleep(0)
            if len(state.queue) <= low or state.stalled_at == state.taken:
                return
            if state.taken != taken:
                taken, idle = state.taken, 0
                continue
            idle += 1
            if idle >= _STALL_TURNS:
                state.stalled_at = taken
                return

    def _check_open(self) -> None:
        """Raise `LayerClosed` if the layer was closed."""
        if self._closed:
            raise LayerClosed(
                f"{self!r} is closed; get a fresh layer (e.g. get_channel_layer()) instead."
            )

    def _new_state(self, channel: str) -> _Channel:
        """Create and register the state of a channel seen for the first time."""
        state = self._channels[channel] = _Channel(self.get_capacity(channel))
        return state

    def _put(self, state: _Channel, message: Message, now: float) -> bool:
        """Hand `message` to a waiter or queue it; False if the channel is full."""
        waiters = state.waiters
        while waiters:
            if _wake(waiters.popleft(), message):
                self.stats.sent += 1
                return True
        queue = state.queue
        if len(queue) >= state.capacity:
            self._purge(state, now)
            if len(queue) >= state.capacity:
                return False
        queue.append((now + self.expiry, message))
        self.stats.sent += 1
        return True

    def _purge(self, state: _Channel, now: float) -> None:
        """Discard expired messages from the front of a channel's queue."""
        queue = state.queue
        while queue and queue[0][0] <= now:
            queue.popleft()
            self.stats.expired += 1

    def _abandon(self, channel: str, state: _Channel, waiter: asyncio.Future[Message]) -> None:
        """Clean up after a cancelled receive, giving back a message it was handed."""
        if not waiter.done() or waiter.cancelled():
            with contextlib.suppress(ValueError):
                state.waiters.remove(waiter)
            if not state.waiters and not state.queue and self._channels.get(channel) is state:
                del self._channels[channel]
            return
        if waiter.exception() is not None or self._closed:
            return
        message = waiter.result()
        target = self._channels.get(channel) or self._new_state(channel)
        while target.waiters:
            if _wake(target.waiters.popleft(), message):
                return
        # It was the oldest message this channel handed out: put it back first in line.
        target.queue.appendleft((self.clock() + self.expiry, message))

    def _forget_members(self, group: str, members: dict[str, float], stale: list[str]) -> None:
        """Remove expired memberships, and the group once it is empty."""
        for channel in stale:
            del members[channel]
        if not members and self._groups.get(group) is members:
            del self._groups[group]
            self._laggards.pop(group, None)

    def _sweep(self, now: float) -> None:
        """Drop expired messages, idle empty channels and expired group memberships."""
        self._next_sweep = now + self._sweep_interval
        for name, state in list(self._channels.items()):
            if state.waiters:
                continue
            self._purge(state, now)
            if not state.queue:
                del self._channels[name]
        cutoff = now - self.group_expiry
        for group, members in list(self._groups.items()):
            stale = [channel for channel, joined in members.items() if joined < cutoff]
            if stale or not members:
                self._forget_members(group, members, stale)
