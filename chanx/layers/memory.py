"""The process-local channel layer: chanx's embedded default.

Every channel (`chanx.layers.memory_channel.LocalChannel`) is a deque of ``(deadline,
message)`` plus a deque of waiting receivers and at most one listener. A send to a channel with
a waiting receiver hands the message straight to it; else, while nothing is queued, it is
offered to the channel's listener (a connection served without a task of its own); otherwise it
is queued up to the channel's capacity. Expiry is checked lazily (on receive, at capacity, and
in a periodic sweep that also forgets idle channels and expired memberships), so the hot path
never scans. Messages are shared, not copied: receivers must treat them as read-only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
from typing import TYPE_CHECKING, Any, ClassVar

from chanx.layers.base import (
    BaseChannelLayer,
    validate_channel_name,
    validate_group_name,
    validate_message,
)
from chanx.layers.exceptions import ChannelFull, LayerClosed
from chanx.layers.home_loop import HomeLoop, on_home_loop
from chanx.layers.memory_channel import LocalChannel, pace
from chanx.layers.memory_groups import GroupTable

if TYPE_CHECKING:
    import re
    from collections.abc import Mapping

    from chanx.layers.base import ChannelListener
    from chanx.layers.memory_topics import MemoryTopicStore

__all__ = ["InMemoryChannelLayer"]

Message = dict[str, Any]

logger = logging.getLogger("chanx.layers")

_SWEEP_INTERVAL_MAX = 30.0


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
        self._home = HomeLoop()
        self._channels: dict[str, LocalChannel] = {}
        self._groups = GroupTable()
        self._closed = False
        self._topic_store: MemoryTopicStore | None = None
        self._sweep_interval = min(self.expiry, self.group_expiry, _SWEEP_INTERVAL_MAX)
        self._next_sweep = self.clock() + self._sweep_interval
        self._next_yield = -math.inf

    def topic_store(self) -> MemoryTopicStore:
        """Offsets, history and presence of topics served through this layer."""
        if self._topic_store is None:
            from chanx.layers.memory_topics import MemoryTopicStore  # only layers with topics

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

    @on_home_loop
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

    @on_home_loop
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
        message = self.receive_nowait(channel)
        if message is not None:
            return message
        state = self._channels.get(channel) or self._new_state(channel)
        waiter: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        state.waiting().append(waiter)
        try:
            message = await waiter
        except asyncio.CancelledError:
            self._abandon(channel, state, waiter)
            raise
        self.stats.delivered += 1
        state.taken += 1
        return message

    def receive_nowait(self, channel: str) -> dict[str, Any] | None:
        """The next unexpired message queued on `channel`, or None; `LayerClosed` if closed."""
        self._check_open()
        state = self._channels.get(channel)
        if state is None:  # a known channel's name was validated when it was created
            validate_channel_name(channel)
            return None
        return state.take(self.clock(), self.stats) if state.queue else None

    def listen(self, channel: str, listener: ChannelListener) -> bool:
        """Offer messages sent to `channel` to `listener` (see `ChannelListener`), from now on
        on this event loop; always True here. A task waiting in `receive` still comes first;
        `LayerClosed` once closed."""
        validate_channel_name(channel)
        self._check_open()
        self._home.claim()
        state = self._channels.get(channel) or self._new_state(channel)
        state.listener = listener
        return True

    def unlisten(self, channel: str, listener: ChannelListener) -> None:
        """Stop offering `channel`'s messages to `listener` (a no-op if it is not listening)."""
        state = self._channels.get(channel)
        if state is not None and state.listener is listener:
            state.listener = None
            if state.idle():
                del self._channels[channel]

    @on_home_loop
    async def group_add(self, group: str, channel: str) -> None:
        """Add `channel` to `group`, or renew its membership for another `group_expiry`."""
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        self._groups.add(group, channel, self.clock())

    @on_home_loop
    async def group_discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`; a no-op if it is not a member."""
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        self._groups.discard(group, channel)

    @on_home_loop
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
        laggards = self._groups.laggards
        laggard = laggards.get(group)
        if laggard is not None and laggard.lagging():
            await pace(laggard)
            self._check_open()
        now = self.clock()
        if now >= self._next_sweep:
            self._sweep(now)
        members = self._groups.members.get(group)
        laggard = None
        if members:
            laggard = self._fan_out(group, members, message, now)
        if laggard is not None:
            laggards[group] = laggard
        elif laggards:
            laggards.pop(group, None)
        if now >= self._next_yield:  # let receivers run before the caller's next send
            self._next_yield = now + self.yield_interval
            await asyncio.sleep(0)

    def _fan_out(
        self, group: str, members: dict[str, float], message: Message, now: float
    ) -> LocalChannel | None:
        """Deliver to every member; return the fullest lagging member, if any.

        The loop is `_put` inlined: it runs once per member of every broadcast, starting at
        a different member each time (`GroupTable.in_turn`).
        """
        channels = self._channels
        cutoff = now - self.group_expiry
        deadline = now + self.expiry
        stale: list[str] = []
        sent = handed = deepest = 0
        laggard = None
        for channel in self._groups.in_turn(members):
            joined = members.get(channel)
            if joined is None:  # left during this broadcast
                continue
            if joined < cutoff:
                stale.append(channel)
                continue
            state = channels.get(channel)
            if state is None:
                state = self._new_state(channel)
            if state.waiters and state.wake_waiter(message):
                sent += 1
                continue
            queue = state.queue
            listener = state.listener
            if listener is not None and not queue:  # `LocalChannel.offer`, inlined
                try:
                    taken = listener.offer(message)
                except Exception:
                    logger.exception("a channel listener raised; the message is queued instead")
                    taken = False
                if taken:
                    state.taken += 1
                    handed += 1
                    continue
            size = len(queue) if queue is not None else 0
            if size >= state.capacity:
                self.stats.expired += state.purge(now)
                size = len(queue) if queue is not None else 0
                if size >= state.capacity:
                    self._record_drop(channel, group)
                    continue
            state.enqueue(deadline, message)
            sent += 1
            if size >= state.capacity >> 1 and size >= deepest and state.lagging():
                laggard, deepest = state, size
        self.stats.sent += sent + handed
        self.stats.delivered += handed
        if stale:
            self._groups.forget(group, members, stale)
        return laggard

    async def flush(self) -> None:
        """Discard queued messages and groups; pending receivers and listeners stay."""
        self._groups.clear()
        for name, state in list(self._channels.items()):
            state.queue = None
            if state.idle():
                del self._channels[name]

    async def close(self) -> None:
        """Fail pending receivers with `LayerClosed` and drop all state; idempotent."""
        if self._closed:
            return
        self._closed = True
        listeners = []
        for state in self._channels.values():
            if state.listener is not None:
                listeners.append(state.listener)
            for waiter in state.waiters or ():
                if not waiter.done():
                    # A waiter from an event loop that has since closed cannot be woken.
                    with contextlib.suppress(RuntimeError):
                        waiter.set_exception(
                            LayerClosed(f"{self!r} was closed while this receive was waiting.")
                        )
        self._channels.clear()
        self._groups.clear()
        self._report_drops(None, None)
        for listener in listeners:
            try:
                listener.layer_closed()
            except Exception:
                logger.exception("a channel listener raised when told the layer closed")

    def _check_open(self) -> None:
        """Raise `LayerClosed` if the layer was closed."""
        if self._closed:
            raise LayerClosed(
                f"{self!r} is closed; get a fresh layer (e.g. get_channel_layer()) instead."
            )

    def _new_state(self, channel: str) -> LocalChannel:
        """Create and register the state of a channel seen for the first time."""
        state = self._channels[channel] = LocalChannel(self.get_capacity(channel))
        return state

    def _put(self, state: LocalChannel, message: Message, now: float) -> bool:
        """Hand `message` to a waiter or the listener, or queue it; False if it is full."""
        if state.waiters and state.wake_waiter(message):
            self.stats.sent += 1
            return True
        if not state.queue and state.listener is not None and state.offer(message):
            self.stats.sent += 1
            self.stats.delivered += 1
            return True
        queue = state.queue
        if queue is not None and len(queue) >= state.capacity:
            self.stats.expired += state.purge(now)
            if len(queue) >= state.capacity:
                return False
        state.enqueue(now + self.expiry, message)
        self.stats.sent += 1
        return True

    def _abandon(self, channel: str, state: LocalChannel, waiter: asyncio.Future[Message]) -> None:
        """Clean up after a cancelled receive, giving back a message it was handed."""
        if not waiter.done() or waiter.cancelled():
            with contextlib.suppress(ValueError):
                state.waiting().remove(waiter)
            if state.idle() and self._channels.get(channel) is state:
                del self._channels[channel]
            return
        if waiter.exception() is not None or self._closed:
            return
        target = self._channels.get(channel) or self._new_state(channel)
        target.give_back(waiter.result(), self.clock() + self.expiry)

    def _sweep(self, now: float) -> None:
        """Drop expired messages, idle empty channels and expired group memberships."""
        self._next_sweep = now + self._sweep_interval
        channels = self._channels
        idle: list[str] = []
        expired = 0
        for name, state in channels.items():  # no (name, state) pair is kept: none allocated
            if not state.waiters:
                expired += state.purge(now)
                if state.idle():
                    idle.append(name)
        for name in idle:
            del channels[name]
        self.stats.expired += expired
        self._groups.expire(now - self.group_expiry)
