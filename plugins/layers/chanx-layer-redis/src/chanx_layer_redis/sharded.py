"""The pub/sub reader on a Redis Cluster: sharded pub/sub, one reader per master in use.

With ``SPUBLISH`` / ``SSUBSCRIBE`` (Redis 7+) a channel lives on the master that owns its hash
slot, so group traffic spreads across the shards instead of being broadcast to every node
as classic pub/sub is on a cluster. This reader keeps each wanted channel subscribed on its
slot's master through one `Subscriber` per master. When a master's connection drops (a
failover) or Redis unsubscribes a channel by itself (its slot moved), it re-reads the slot map
until every channel is subscribed on its current owner again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from redis.exceptions import RedisError

from chanx_layer_redis.slots import SlotMap
from chanx_layer_redis.stats import RedisLayerStats
from chanx_layer_redis.subscriber import OnMessage, OnState, Subscriber

if TYPE_CHECKING:
    from redis.asyncio import Redis, RedisCluster

__all__ = ["ShardedSubscriber"]

logger = logging.getLogger("chanx.layers.redis")


class ShardedSubscriber:
    """Keeps `wanted` subscribed with ``SSUBSCRIBE`` on the masters that own their slots.

    The same interface as `Subscriber`; `connected` is true while every master in use is.

    The reader keeps a slot map of its own (``CLUSTER SLOTS``, asked of any node it knows),
    so that its view of the cluster changes only when it decides to look.

    Args:
        cluster: The layer's cluster client (its startup nodes are the first nodes asked).
        node_client: Builds a plain client for one node's ``(host, port)``.
        on_message: Awaited with ``(redis_channel, data)`` for every message.
        on_state: Called with True once everything is subscribed, False when a master drops.
        stats: The layer's counters.
        backoff: ``(first, most)`` seconds between reconnect attempts (and slot map reads).
        confirm_timeout: Seconds `add` waits for Redis to confirm a new subscription.
    """

    def __init__(
        self,
        cluster: RedisCluster,
        node_client: Callable[[str, int], Redis],
        on_message: OnMessage,
        on_state: OnState,
        stats: RedisLayerStats,
        *,
        backoff: tuple[float, float],
        confirm_timeout: float,
    ) -> None:
        self.wanted: set[bytes] = set()
        self.connected = False
        self._cluster = cluster
        self._node_client = node_client
        self._on_message = on_message
        self._on_state = on_state
        self._stats = stats
        self._backoff = backoff
        self._confirm_timeout = confirm_timeout
        self._readers: dict[str, Subscriber] = {}
        self._owner: dict[bytes, str] = {}
        known = {(node.host, int(node.port)) for node in cluster.get_nodes()}
        known |= {(n.host, int(n.port)) for n in cluster.nodes_manager.startup_nodes.values()}
        self._slots = SlotMap(node_client, known)
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    def start(self) -> None:
        """Read the slot map and subscribe everything wanted, in a task (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="chanx-redis-sharded-subscriber"
            )
            self._changed.set()

    async def add(self, key: bytes) -> None:
        """Subscribe to `key` on its master; returns once confirmed (bounded), or at once
        while the slot map is unknown or the master unreachable."""
        self.wanted.add(key)
        if self._slots.loaded:
            await self._place(key)

    async def remove(self, key: bytes) -> None:
        """Stop wanting `key` (best effort while its master is unreachable)."""
        self.wanted.discard(key)
        name = self._owner.pop(key, None)
        reader = self._readers.get(name) if name is not None else None
        if reader is not None:
            await reader.remove(key)
            if not reader.wanted:
                del self._readers[name]  # type: ignore[arg-type]
                await reader.close()

    async def close(self) -> None:
        """Stop every reader and the slot-map task."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(self._confirm_timeout):
                    await task
        readers, self._readers = list(self._readers.values()), {}
        for reader in readers:
            await reader.close()

    async def drop_connection(self) -> None:
        """Break every master's connection as a network failure would (tests, drills)."""
        for reader in list(self._readers.values()):
            await reader.drop_connection()

    async def _place(self, key: bytes) -> None:
        """Subscribe `key` on the master that owns its slot now (moving it if needed)."""
        host, port = self._slots.master_of(key)
        name = f"{host}:{port}"
        previous = self._owner.get(key)
        old = self._readers.get(previous) if previous is not None else None
        if previous == name and old is not None and key in old.wanted:
            return
        if previous is not None and old is not None:
            await old.remove(key)
            if not old.wanted:
                del self._readers[previous]
                await old.close()
        self._owner[key] = name
        reader = self._readers.get(name)
        if reader is not None:
            await reader.add(key)
            return
        ready = asyncio.Event()
        reader = self._readers[name] = Subscriber(
            self._node_client(host, port),
            self._on_message,
            lambda up: self._reader_state(ready, up),
            self._stats,
            backoff=self._backoff,
            confirm_timeout=self._confirm_timeout,
            sharded=True,
            on_moved=self._moved,
        )
        reader.wanted.add(key)
        reader.start()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._confirm_timeout):
                await ready.wait()

    def _reader_state(self, ready: asyncio.Event, up: bool) -> None:
        """One master's reader went up or down: update the overall state."""
        if up:
            ready.set()
        else:
            ready.clear()
            self._changed.set()  # perhaps a failover: read the slot map again
        self._update_state()

    def _update_state(self) -> None:
        """Report a change of "every master in use is connected"."""
        connected = bool(self._readers) and all(r.connected for r in self._readers.values())
        if connected != self.connected:
            self.connected = connected
            self._on_state(connected)

    def _moved(self, key: bytes) -> None:
        """Redis unsubscribed `key` by itself: its slot has a new owner."""
        self._owner.pop(key, None)
        self._changed.set()

    async def _run(self) -> None:
        """Whenever something changed, read the slot map and re-place every wanted key,
        again with backoff until every master in use is connected."""
        first, most = self._backoff
        while not self._closing:
            await self._changed.wait()
            self._changed.clear()
            delay = first
            while not self._closing:
                try:
                    await self._slots.read()
                    for key in list(self.wanted):
                        await self._place(key)
                    self._update_state()  # readers of old owners may have been dropped
                except (RedisError, OSError) as exc:
                    logger.debug("reading the cluster's slot map failed: %s", exc)
                except Exception:  # must not end the task that keeps subscriptions placed
                    logger.exception("chanx Redis layer: placing cluster subscriptions failed")
                if self._readers and all(r.connected for r in self._readers.values()):
                    break
                await asyncio.sleep(delay)
                delay = min(most, delay * 2)
