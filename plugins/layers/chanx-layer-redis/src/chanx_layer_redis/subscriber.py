"""The pub/sub reader: one Redis connection per layer that stays subscribed across outages.

The reader owns the set of wanted subscriptions (the process's own channel and one channel per
group with local members). On every (re)connect it subscribes to the whole set in one command;
when the connection drops it reports the outage, waits with jittered exponential backoff and
starts over. Messages published while it is disconnected are not delivered (Redis pub/sub keeps
nothing for absent subscribers): that is the layer's main loss window.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from chanx_layer_redis.stats import RedisLayerStats

__all__ = ["Subscriber"]

logger = logging.getLogger("chanx.layers.redis")

OnMessage = Callable[[bytes, bytes], Awaitable[None]]
OnState = Callable[[bool], None]
_PLAIN = (b"message", b"subscribe", b"unsubscribe")


class Subscriber:
    """Keeps `wanted` subscribed on one connection and feeds messages to `on_message`.

    Args:
        client: The layer's client; the reader takes one connection from its pool.
        on_message: Awaited with ``(redis_channel, data)`` for every message, in order.
        on_state: Called with True once subscribed after a (re)connect, False when it drops.
        stats: The layer's counters (``reconnects`` is counted here).
        backoff: ``(first, most)`` seconds to wait between reconnect attempts.
        confirm_timeout: Seconds `add` waits for Redis to confirm a new subscription.
        sharded: Use sharded pub/sub (``SSUBSCRIBE``, one channel per command: on a cluster
            node, channels of different slots cannot share one command).
        on_moved: Called with a channel that Redis unsubscribed by itself (its slot moved to
            another node of the cluster).
    """

    def __init__(
        self,
        client: Redis,
        on_message: OnMessage,
        on_state: OnState,
        stats: RedisLayerStats,
        *,
        backoff: tuple[float, float],
        confirm_timeout: float,
        sharded: bool = False,
        on_moved: Callable[[bytes], None] | None = None,
    ) -> None:
        self.wanted: set[bytes] = set()
        self.connected = False
        self._failures = 0
        self._client = client
        self._on_message = on_message
        self._on_state = on_state
        self._stats = stats
        self._backoff = backoff
        self._confirm_timeout = confirm_timeout
        self._pubsub: Any = None
        self._confirms: dict[bytes, asyncio.Future[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._sharded = sharded
        self._on_moved = on_moved
        self._kinds = (b"smessage", b"ssubscribe", b"sunsubscribe") if sharded else _PLAIN

    def start(self) -> None:
        """Start the reader task on the running loop (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="chanx-redis-subscriber"
            )

    async def add(self, key: bytes) -> None:
        """Subscribe to `key`; returns once Redis confirmed it, or at once while disconnected."""
        pending = self._confirms.get(key)
        if key in self.wanted and pending is None:
            return
        self.wanted.add(key)
        pubsub = self._pubsub
        if pubsub is None:
            return  # the reader subscribes to everything wanted when it (re)connects
        if pending is None:
            pending = self._confirms[key] = asyncio.get_running_loop().create_future()
            try:
                await self._subscribe(pubsub, [key])
            except (RedisError, OSError):
                self._confirms.pop(key, None)
                return  # the reader notices the broken connection and resubscribes
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            async with asyncio.timeout(self._confirm_timeout):
                await asyncio.shield(pending)

    async def remove(self, key: bytes) -> None:
        """Stop wanting `key` (best effort: a reconnect drops it anyway)."""
        self.wanted.discard(key)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(RedisError, OSError):
                await (pubsub.sunsubscribe if self._sharded else pubsub.unsubscribe)(key)

    async def close(self) -> None:
        """Stop the reader and release its connection."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()  # the flag ends the loop even if the cancellation became an error
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(self._confirm_timeout):
                    await task

    async def drop_connection(self) -> None:
        """Close the current connection as if the network failed (for tests and operators)."""
        pubsub = self._pubsub
        if pubsub is not None and pubsub.connection is not None:
            await pubsub.connection.disconnect()

    async def _run(self) -> None:
        """Connect, subscribe, read; on failure back off and start over, until cancelled."""
        first, most = self._backoff
        while not self._closing:
            pubsub = self._client.pubsub()
            try:
                await self._read(pubsub)
            except Exception as exc:  # RedisError, OSError; anything else is logged too
                self._failures += 1
                self._stats.reconnects += 1
                if self._failures == 1:
                    logger.warning(
                        "Redis pub/sub connection lost (%s); reconnecting with backoff. "
                        "Until then group_send reaches local members only and sends to other "
                        "processes fail.",
                        exc,
                        extra={"error": repr(exc)},
                        exc_info=not isinstance(exc, RedisError | OSError),
                    )
            finally:
                self._pubsub = None
                for pending in self._confirms.values():
                    if not pending.done():
                        pending.set_result(None)
                self._confirms.clear()
                if self.connected:
                    self.connected = False
                    self._on_state(False)
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            delay = min(most, first * 2 ** min(self._failures - 1, 30)) * random.uniform(0.5, 1.0)
            await asyncio.sleep(delay)

    async def _subscribe(self, pubsub: Any, keys: Iterable[bytes]) -> None:
        """One SUBSCRIBE for all `keys`, or one SSUBSCRIBE per key."""
        if not self._sharded:
            await pubsub.subscribe(*keys)
            return
        for key in keys:
            await pubsub.ssubscribe(key)

    async def _read(self, pubsub: Any) -> None:
        """Subscribe to everything wanted, then dispatch messages until the connection fails."""
        snapshot = set(self.wanted)
        await self._subscribe(pubsub, snapshot)
        self._pubsub = pubsub
        if missed := self.wanted - snapshot:  # added while the subscribe was in flight
            await self._subscribe(pubsub, missed)
        if gone := snapshot - self.wanted:
            await (pubsub.sunsubscribe if self._sharded else pubsub.unsubscribe)(*gone)
        on_message = self._on_message
        message_kind, subscribe_kind, unsubscribe_kind = self._kinds
        while True:
            response = await pubsub.parse_response(block=True)
            if not response:
                continue
            kind = response[0]
            if kind == message_kind:
                try:
                    await on_message(response[1], response[2])
                except Exception:
                    logger.exception("chanx Redis layer: dispatching a message failed")
            elif kind == subscribe_kind:
                if not self.connected:
                    self.connected = True
                    if self._failures:
                        logger.info(
                            "Redis pub/sub reconnected after %d attempt(s); resubscribed to %d "
                            "channel(s).",
                            self._failures,
                            len(self.wanted),
                        )
                    self._failures = 0
                    self._on_state(True)
                pending = self._confirms.pop(response[1], None)
                if pending is not None and not pending.done():
                    pending.set_result(None)
            elif kind == unsubscribe_kind and response[1] in self.wanted and self._on_moved:
                self._on_moved(response[1])  # not asked for: its cluster slot moved
