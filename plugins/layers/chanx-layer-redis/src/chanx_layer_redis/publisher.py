"""Pipelined PUBLISH: senders queue, one writer task sends whatever queued in one round trip.

`group_send` does not wait for Redis: it queues its PUBLISH and returns, so a burst of
broadcasts costs one round trip per batch rather than per message, and the sender's local
members get their copies without the sender yielding to the event loop every time. A direct
`send` queues too (so it stays in order behind earlier group sends) and waits for its batch,
to learn whether anyone received it. The queue is bounded: a full queue makes senders wait
(at most the socket timeout) instead of growing without limit.

Nothing queued is thrown away silently: `close` sends the queue before it stops the writer
(bounded by a timeout), a writer cancelled with its event loop sends it first, and whatever
still could not be sent is counted in ``stats.abandoned``. A batch that fails on a connection
error is retried once: the pool then opens a fresh connection (after a Redis restart the
pooled ones are dead), so a restart costs no message once the server is back.

On a Redis Cluster the batch is split by the master that owns each channel's slot (by the
publisher's own `SlotMap`) and each master's part goes out on that master's own connection,
concurrently: a master that is down (failing over) fails only its part, and the other shards'
messages are delivered meanwhile. A part that fails on a connection error, or whose messages
come back ``MOVED`` (a resharding), is routed again after re-reading the slot map and retried
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis.asyncio import RedisCluster
from redis.exceptions import AskError, ClusterDownError, MovedError, RedisError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError

from chanx.layers.exceptions import LayerClosed
from chanx_layer_redis.slots import Address, SlotMap
from chanx_layer_redis.stats import RedisLayerStats, RedisUnavailable

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from chanx_layer_redis.connection import Client

__all__ = ["Publisher"]

logger = logging.getLogger("chanx.layers.redis")

_BATCH = 1000
Entry = tuple[str | bytes, bytes, "asyncio.Future[int] | None"]
_REROUTE = (MovedError, AskError, TryAgainError, ClusterDownError)  # ask the slot map again


class Publisher:
    """Queue PUBLISH commands and send them in pipelined batches, in order.

    Args:
        client: The layer's Redis client.
        stats: The layer's counters (``published``, ``unavailable``).
        warn: Rate-limited warning of the layer, called when a batch could not be sent.
        limit: Most commands queued before senders wait.
        timeout: Most seconds a sender waits for room in the queue.
        command: ``PUBLISH``, or ``SPUBLISH`` for sharded pub/sub on a Redis Cluster.
        node_client: On a cluster: builds a plain client for one master's ``(host, port)``;
            then each master's share of a batch is sent on its own connection.
    """

    def __init__(
        self,
        client: Client,
        stats: RedisLayerStats,
        warn: Callable[..., None],
        *,
        limit: int,
        timeout: float,
        command: str = "PUBLISH",
        node_client: Callable[[str, int], Redis] | None = None,
    ) -> None:
        self._client = client
        self._stats = stats
        self._warn = warn
        self._limit = limit
        self._timeout = timeout
        self._queue: deque[Entry] = deque()
        self._wakeup = asyncio.Event()
        self._room = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._inflight = 0
        self._command = command
        self._node_client = node_client
        self._slots: SlotMap | None = None
        self._nodes: dict[Address, Redis] = {}
        if node_client is not None and isinstance(client, RedisCluster):
            seeds = [(n.host, int(n.port)) for n in client.nodes_manager.startup_nodes.values()]
            self._slots = SlotMap(node_client, seeds)

    async def publish(self, key: str | bytes, payload: bytes) -> None:
        """Queue a PUBLISH and return; failures are counted and logged by the writer."""
        if len(self._queue) >= self._limit and not await self._wait_for_room():
            self._stats.unavailable += 1
            self._warn(
                "the publish queue stayed full for %ss; a group message was dropped", self._timeout
            )
            return
        self._queue.append((key, payload, None))
        self._kick()

    async def publish_and_wait(self, key: str | bytes, payload: bytes) -> int:
        """Queue a PUBLISH and return how many subscribers received it.

        Raises:
            RedisUnavailable: Its batch could not be sent.
        """
        if len(self._queue) >= self._limit and not await self._wait_for_room():
            self._stats.unavailable += 1
            raise RedisUnavailable("the publish queue stayed full; the message was not sent")
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.append((key, payload, done))
        self._kick()
        try:
            async with asyncio.timeout(self._timeout * 2):  # queue wait plus one round trip
                return await asyncio.shield(done)
        except TimeoutError:
            self._stats.unavailable += 1
            raise RedisUnavailable("Redis did not acknowledge the PUBLISH in time") from None

    async def close(self, timeout: float) -> int:
        """Send what is queued (for at most `timeout` seconds), then stop the writer.

        Returns:
            How many queued messages could not be sent (Redis down, or out of time); they
            are counted in ``stats.abandoned`` and their waiting senders get `LayerClosed`.
        """
        self._closing = True
        before = self._stats.abandoned
        task, self._task = self._task, None
        if task is not None and not task.done():
            self._wakeup.set()  # the writer sends what is queued, then ends
            try:
                async with asyncio.timeout(timeout):
                    await asyncio.shield(task)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        elif self._queue:  # no writer (never started, or cancelled with its loop)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._drain()
        self._abandon()  # the writer may have counted some itself when it was cancelled
        nodes, self._nodes = list(self._nodes.values()), {}
        for node in nodes:
            with contextlib.suppress(RedisError, OSError, RuntimeError):
                await node.aclose(close_connection_pool=True)
        return self._stats.abandoned - before

    def _abandon(self) -> int:
        """Count and fail whatever is still queued or in flight."""
        left = self._inflight + len(self._queue)
        self._inflight = 0
        while self._queue:
            _, _, done = self._queue.popleft()
            if done is not None and not done.done():
                done.set_exception(LayerClosed("the layer was closed before this send"))
        if left:
            self._stats.abandoned += left
            self._warn("%d message(s) were still unsent when the layer closed", left)
        return left

    def _kick(self) -> None:
        """Wake the writer, starting it on first use."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name="chanx-redis-publisher"
            )
        self._wakeup.set()

    async def _wait_for_room(self) -> bool:
        """Wait until the writer made room; False after `timeout`."""
        self._room.clear()
        try:
            async with asyncio.timeout(self._timeout):
                while len(self._queue) >= self._limit:
                    await self._room.wait()
                    self._room.clear()
        except TimeoutError:
            return False
        return True

    async def _run(self) -> None:
        """Send queued commands in batches; after `close` (or a cancellation), drain first."""
        try:
            while not self._closing:
                await self._wakeup.wait()
                self._wakeup.clear()
                await self._drain()
        except asyncio.CancelledError:
            # The loop is ending (asyncio.run, asgiref's async_to_sync) with messages still
            # queued: send them now rather than lose them with the loop. A batch that was in
            # flight may or may not have reached Redis: it counts as abandoned.
            lost, self._inflight = self._inflight, 0
            if self._queue and not self._closing:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._timeout):
                        await self._drain()
            self._inflight += lost
            self._abandon()
            raise
        await self._drain()

    async def _drain(self) -> None:
        """Send everything queued, batch after batch."""
        queue = self._queue
        while queue:
            batch = [queue.popleft() for _ in range(min(len(queue), _BATCH))]
            self._room.set()
            self._inflight = len(batch)
            await self._send(batch)
            self._inflight = 0

    async def _send(self, batch: list[Entry]) -> None:
        """One pipelined round trip for `batch` (retried once on a fresh connection)."""
        if self._slots is not None:
            await self._send_sharded(batch, retry=True)
            return
        try:
            try:
                results = await self._execute(batch)
            except (RedisConnectionError, OSError) as exc:
                if isinstance(exc, TimeoutError):
                    raise
                if isinstance(self._client, RedisCluster):  # perhaps a failover: re-read slots
                    await self._client.nodes_manager.initialize()
                # A pooled connection that a Redis restart (or failover) killed fails on its
                # first use; the failed connection was dropped, so this one is fresh.
                self._stats.retried += 1
                results = await self._execute(batch)
        except Exception as exc:  # RedisError, OSError; anything else must not stop the writer
            if not isinstance(exc, RedisError | OSError):
                logger.exception("chanx Redis layer: publishing a batch failed")
            self._fail(batch, exc)
            return
        self._stats.published += len(batch)
        for (_, _, done), receivers in zip(batch, results, strict=True):
            if done is not None and not done.done():
                done.set_result(int(receivers))

    def _fail(self, entries: list[Entry], exc: BaseException) -> None:
        """Count `entries` as unpublished and fail their waiting senders."""
        self._stats.unavailable += len(entries)
        self._warn("%d message(s) could not be published: %s", len(entries), exc)
        error = RedisUnavailable(f"PUBLISH to Redis failed: {exc}")
        for _, _, done in entries:
            if done is not None and not done.done():
                done.set_exception(error)

    async def _send_sharded(self, entries: list[Entry], *, retry: bool) -> None:
        """Send each master's share of `entries` on its own connection, concurrently."""
        slots = self._slots
        assert slots is not None
        parts: dict[Address, list[Entry]] = {}
        try:
            if not slots.loaded:
                await slots.read()
            for entry in entries:
                key = entry[0]
                parts.setdefault(
                    slots.master_of(key if isinstance(key, bytes) else key.encode()), []
                ).append(entry)
        except (RedisError, OSError) as exc:
            self._fail(entries, exc)
            return
        if len(parts) == 1:
            [(address, part)] = parts.items()
            await self._send_shard(address, part, retry=retry)
            return
        await asyncio.gather(
            *(self._send_shard(address, part, retry=retry) for address, part in parts.items())
        )

    async def _send_shard(self, address: Address, entries: list[Entry], *, retry: bool) -> None:
        """One pipelined round trip to one master; on a connection error, or for messages
        Redis redirects, re-read the slot map and route them again (once)."""
        try:
            replies = await self._execute_on(address, entries)
        except Exception as exc:  # RedisError, OSError; anything else must not stop the writer
            if not isinstance(exc, RedisError | OSError):
                logger.exception("chanx Redis layer: publishing a batch failed")
            elif (
                retry
                and isinstance(exc, RedisConnectionError | OSError | ClusterDownError)
                and not isinstance(exc, TimeoutError)  # a timeout already took its time
            ):
                await self._reroute(entries, address, broken=True)
                return
            self._fail(entries, exc)
            return
        again: list[Entry] = []
        for entry, reply in zip(entries, replies, strict=True):
            if isinstance(reply, Exception):
                if retry and isinstance(reply, _REROUTE):
                    again.append(entry)
                else:
                    self._fail([entry], reply)
                continue
            self._stats.published += 1
            done = entry[2]
            if done is not None and not done.done():
                done.set_result(int(reply))
        if again:
            await self._reroute(again, address, broken=False)

    async def _reroute(self, entries: list[Entry], failed: Address, *, broken: bool) -> None:
        """Re-read the slot map (asking `failed` last) and send `entries` again, once;
        `broken`: the connection to `failed` failed (drop its client, start afresh)."""
        assert self._slots is not None
        self._stats.retried += 1
        node = self._nodes.pop(failed, None) if broken else None
        if node is not None:  # its pooled connections may all be dead
            with contextlib.suppress(RedisError, OSError, RuntimeError):
                await node.aclose(close_connection_pool=True)
        with contextlib.suppress(RedisError, OSError):
            await self._slots.read(avoid=failed)
        await self._send_sharded(entries, retry=False)

    async def _execute_on(self, address: Address, entries: list[Entry]) -> list[Any]:
        """Send `entries` to the master at `address` as one pipeline; per-command replies
        (an error reply is returned as its exception)."""
        node = self._nodes.get(address)
        if node is None:
            assert self._node_client is not None
            node = self._nodes[address] = self._node_client(*address)
        pipe = node.pipeline(transaction=False)
        command = self._command
        for key, payload, _ in entries:
            pipe.execute_command(command, key, payload)
        results: list[Any] = await pipe.execute(raise_on_error=False)
        return results

    async def _execute(self, batch: list[Entry]) -> list[Any]:
        """Send `batch` as one pipeline and return the replies."""
        pipe = self._client.pipeline(transaction=False)
        command = self._command
        for key, payload, _ in batch:
            pipe.execute_command(command, key, payload)
        results: list[Any] = await pipe.execute()
        return results
