"""`RedisChannelLayer`: channels and groups across processes, one publish per group send.

Each layer instance has a random 12-character process id; `new_channel` names are
``<prefix><process-id>!<local-id>`` and live in the process's memory (`LocalChannels`). Redis
pub/sub carries what crosses processes: ``<prefix>:g:<group>`` (one PUBLISH per `group_send`,
fanned out from memory by every process with members) and ``<prefix>:p:<process-id>``
(`send` to another process's channel). Names without ``!`` are Redis lists (`ListQueues`).
Delivery is at-most-once; docs/redis-layer.md says exactly when a message can be lost.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from chanx.layers.base import (
    BaseChannelLayer,
    validate_channel_name,
    validate_group_name,
    validate_message,
)
from chanx.layers.exceptions import ChannelFull, LayerClosed
from chanx_layer_redis.codec import pack, unpack
from chanx_layer_redis.connection import HostSpec, build_client, resolve_url
from chanx_layer_redis.local import LocalChannels
from chanx_layer_redis.publisher import Publisher
from chanx_layer_redis.queues import ListQueues
from chanx_layer_redis.stats import RedisLayerStats, RedisUnavailable
from chanx_layer_redis.subscriber import Subscriber
from chanx_layer_redis.topics import RedisTopicStore

if TYPE_CHECKING:
    import re

__all__ = ["RedisChannelLayer", "RedisLayerStats", "RedisUnavailable"]

logger = logging.getLogger("chanx.layers.redis")

_PID_LENGTH = 12
_OUTBOX_LIMIT = 10_000


class RedisChannelLayer(BaseChannelLayer):
    """A channel layer for several processes (and machines) that share one Redis server.

    Args:
        url: Server URL, ``redis://[:password@]host:port/db`` or ``rediss://`` for TLS.
            Default ``redis://127.0.0.1:6379/0``.
        hosts: Alternative to `url` in channels_redis's shape: a one-entry list of a URL, a
            ``(host, port)`` pair or ``{"address": url, **connection_kwargs}``.
        prefix: Namespace of every Redis key and pub/sub channel. Pub/sub ignores the db
            number, so give unrelated deployments on one server different prefixes.
        expiry: Seconds a queued message may wait for its receiver.
        group_expiry: Seconds a membership lives unless renewed (see `group_add`).
        capacity: Messages a channel may hold before `send` raises `ChannelFull`.
        channel_capacity: Per-channel capacities by glob pattern (first match wins).
        ssl: True for TLS, or ``ssl_*`` connection options (``{"ssl_ca_certs": path}``).
        sentinels: ``(host, port)`` pairs of Redis Sentinels; needs `service_name`.
        service_name: The Sentinel master's name.
        sentinel_kwargs: Connection options for the Sentinels themselves.
        max_connections: Pool size; the pool waits for a free connection, it never raises.
        socket_timeout: Seconds a Redis read or write may take before it counts as failed.
        connect_timeout: Seconds a connect may take; also the longest the first call waits
            for the subscription to be live.
        reconnect_backoff: ``(first, most)`` seconds between reconnect attempts.
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        hosts: Sequence[HostSpec] | None = None,
        prefix: str = "chanx",
        expiry: float = 60,
        group_expiry: float = 86400,
        capacity: int = 100,
        channel_capacity: Mapping[str | re.Pattern[str], int] | None = None,
        ssl: bool | Mapping[str, Any] = False,
        sentinels: Sequence[tuple[str, int]] | None = None,
        service_name: str | None = None,
        sentinel_kwargs: Mapping[str, Any] | None = None,
        max_connections: int = 64,
        socket_timeout: float = 5.0,
        connect_timeout: float = 2.0,
        reconnect_backoff: tuple[float, float] = (0.05, 5.0),
    ) -> None:
        config = {
            "expiry": expiry,
            "group_expiry": group_expiry,
            "capacity": capacity,
            "channel_capacity": channel_capacity,
        }
        super().__init__(**config)  # type: ignore[arg-type]
        if not isinstance(prefix, str) or not prefix or any(c in prefix for c in " *?[]"):
            raise ValueError(f"RedisChannelLayer prefix must be a plain non-empty str: {prefix!r}")
        self.prefix = prefix
        self.reconnect_backoff = reconnect_backoff
        self.stats: RedisLayerStats = RedisLayerStats()
        self._connect_timeout = connect_timeout
        address, extra = resolve_url(url, hosts)
        self._client = build_client(
            url=address,
            extra=extra,
            ssl=ssl,
            sentinels=sentinels,
            service_name=service_name,
            sentinel_kwargs=sentinel_kwargs,
            max_connections=max_connections,
            socket_timeout=socket_timeout,
            connect_timeout=connect_timeout,
        )
        self._pid = secrets.token_hex(_PID_LENGTH // 2)
        self._origin = self._pid.encode()
        self._process_key = f"{prefix}:p:{self._pid}".encode()
        self._group_prefix = f"{prefix}:g:".encode()
        self._local = LocalChannels(self, **config)
        self._publisher = Publisher(
            self._client, self.stats, self._warn, limit=_OUTBOX_LIMIT, timeout=socket_timeout
        )
        self._queues = ListQueues(self, self._client, max(0.1, min(1.0, socket_timeout / 2)))
        self._members: dict[str, set[str]] = {}
        self._subscriber: Subscriber | None = None
        self._ready: asyncio.Event | None = None
        self._waited = False
        self._closed = False
        self._next_warning = -math.inf

    def __repr__(self) -> str:
        return (
            f"RedisChannelLayer(prefix={self.prefix!r}, process={self._pid!r}, "
            f"capacity={self.capacity}, expiry={self.expiry})"
        )

    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return self._closed

    @property
    def connected(self) -> bool:
        """Whether the pub/sub connection is up and subscribed."""
        return self._subscriber is not None and self._subscriber.connected

    async def new_channel(self, prefix: str = "specific.") -> str:
        """Return a new channel name of this process: ``<prefix><process-id>!<local-id>``.

        Raises:
            ValueError: The prefix makes the name invalid.
        """
        self._check_open()
        await self._start()
        return validate_channel_name(f"{prefix}{self._pid}!{secrets.token_hex(8)}")

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        """Send `message` to `channel`, in this process or another.

        A channel of this process gets the message directly (`ChannelFull` if full). A channel
        of another process gets it through Redis; its capacity is checked there, and a full
        channel drops the message and counts it in that process's ``stats.dropped_full``.

        Raises:
            ChannelFull: A local or list channel is at capacity.
            RedisUnavailable: The target is in another process and Redis is unreachable.
            LayerClosed: The layer was closed.
            TypeError: The name or message has the wrong type.
            ValueError: The name or message is malformed.
        """
        validate_channel_name(channel)
        validate_message(message)
        self._check_open()
        head, bang, _ = channel.partition("!")
        if bang and head.endswith(self._pid):
            await self._local.send(channel, message)
            return
        await self._start()
        if not bang:
            await self._queues.push(channel, message)
            return
        key = f"{self.prefix}:p:{head[-_PID_LENGTH:]}"
        if not await self._publish(key, pack((channel, message)), channel):
            self.stats.unroutable += 1
            self._warn(
                "message for channel %r was lost: no process is subscribed for it (it exited, "
                "or is reconnecting to Redis)",
                channel,
            )

    def receive(self, channel: str) -> Coroutine[Any, Any, dict[str, Any]]:
        """Wait for the next message on a channel of this process (or a list channel).

        A plain method returning the coroutine: on the hot path (a channel of this process)
        it is the in-memory receive itself, one frame less on every wake-up.

        Raises:
            LayerClosed: The layer was closed before or while waiting.
            ValueError: The channel belongs to another process.
        """
        if self._waited and isinstance(channel, str):
            head, bang, _ = channel.partition("!")
            if bang and head.endswith(self._pid):
                return self._local.receive(channel)  # it validates the name
        return self._receive(channel)

    async def _receive(self, channel: str) -> dict[str, Any]:
        """`receive` before the reader started, for list channels, and for errors."""
        validate_channel_name(channel)
        self._check_open()
        head, bang, _ = channel.partition("!")
        await self._start()
        if not bang:
            return await self._queues.pop(channel)
        if head.endswith(self._pid):
            return await self._local.receive(channel)
        raise ValueError(
            f"Channel {channel!r} belongs to another process's layer; a process can only "
            "receive on channels its own layer's new_channel() created."
        )

    async def group_add(self, group: str, channel: str) -> None:
        """Add a channel of this process to `group` and make sure the process is subscribed.

        Returns once Redis confirmed the subscription (or at once while Redis is down: the
        subscription is made when it reconnects). Memberships live in this process's memory:
        they end with the process, and expire after `group_expiry` unless renewed.

        Raises:
            ValueError: `channel` was not created by this layer's `new_channel`.
        """
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        head, bang, _ = channel.partition("!")
        if not (bang and head.endswith(self._pid)):
            raise ValueError(
                f"RedisChannelLayer.group_add({group!r}, {channel!r}): only channels created by "
                "this process's layer (new_channel) can join groups."
            )
        await self._local.group_add(group, channel)
        self._members.setdefault(group, set()).add(channel)
        subscriber = await self._start()
        await subscriber.add(self._group_prefix + group.encode())

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`; unsubscribe when the process has no member left."""
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        await self._local.group_discard(group, channel)
        members = self._members.get(group)
        if members is None:
            return
        members.discard(channel)
        if not members:
            del self._members[group]
            if self._subscriber is not None:
                await self._subscriber.remove(self._group_prefix + group.encode())

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Deliver to this process's members now and publish once for the other processes.

        Returns once local members have the message and the PUBLISH is queued (it goes out
        in the next pipelined batch). Never raises for delivery problems: full members drop
        the message (``dropped_full``), and while Redis is unreachable only local members get
        it (``unavailable``); both are logged at most once per `drop_log_interval`.

        Raises:
            LayerClosed: The layer was closed.
            TypeError: The name or message has the wrong type, or cannot be serialised.
            ValueError: The name or message is malformed.
        """
        validate_group_name(group)
        validate_message(message)
        self._check_open()
        payload = self._origin + pack(message)
        if group in self._members:
            await self._local.group_send(group, message)
        await self._start()
        if not self.connected:
            self.stats.unavailable += 1
            self._warn("group_send to %r reached local members only: Redis is unreachable", group)
            return
        await self._publisher.publish(self._group_prefix + group.encode(), payload)

    async def flush(self) -> None:
        """Discard this process's queued messages and memberships, and every list channel."""
        self._check_open()
        await self._local.flush()
        groups, self._members = list(self._members), {}
        if self._subscriber is not None:
            for group in groups:
                await self._subscriber.remove(self._group_prefix + group.encode())
        try:
            await self._queues.flush()
        except (RedisError, OSError) as exc:
            raise RedisUnavailable(f"flush could not reach Redis: {exc}") from exc

    def topic_store(self) -> RedisTopicStore:
        """Offsets, history and presence of topics, in Redis (see `chanx_layer_redis.topics`)."""
        store: RedisTopicStore | None = self.__dict__.get("_topic_store")
        if store is None:
            store = self._topic_store = RedisTopicStore(
                self._client, self.prefix, lambda: self.closed
            )
        return store

    async def close(self) -> None:
        """Stop the reader, fail pending receivers with `LayerClosed`, close connections."""
        if self._closed:
            return
        self._closed = True
        if "_topic_store" in self.__dict__:
            await self._topic_store.aclose()
        if self._subscriber is not None:
            await self._subscriber.close()
        await self._publisher.close()
        await self._local.close()
        try:
            await self._client.aclose(close_connection_pool=True)
        except (RedisError, OSError, RuntimeError):
            logger.debug("closing the Redis client of %r failed", self, exc_info=True)
        self._report_drops(None, None)

    async def drop_connection(self) -> None:
        """Break the pub/sub connection as a network failure would (tests, drills)."""
        if self._subscriber is not None:
            await self._subscriber.drop_connection()

    async def wait_connected(self, timeout: float) -> None:
        """Wait until the pub/sub connection is subscribed; `TimeoutError` after `timeout`."""
        await self._start()
        assert self._ready is not None
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    # -- internals ----------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise LayerClosed(f"{self!r} is closed; get a fresh layer (get_channel_layer()).")

    async def _start(self) -> Subscriber:
        """Start the pub/sub reader; the first callers wait (bounded) until it is subscribed."""
        subscriber = self._subscriber
        if subscriber is None:
            self._ready = asyncio.Event()
            subscriber = self._subscriber = Subscriber(
                self._client,
                self._on_message,
                self._on_state,
                self.stats,
                backoff=self.reconnect_backoff,
                confirm_timeout=self._connect_timeout,
            )
            subscriber.wanted.add(self._process_key)
            subscriber.start()
        if not self._waited:
            assert self._ready is not None
            try:
                async with asyncio.timeout(self._connect_timeout):
                    await self._ready.wait()
            except TimeoutError:
                pass
            self._waited = True
        return subscriber

    def _on_state(self, up: bool) -> None:
        assert self._ready is not None
        if up:
            self._ready.set()
        else:
            self._ready.clear()

    async def _publish(self, key: str, payload: bytes, channel: str) -> int:
        """PUBLISH in order with group sends; return the receiver count, or raise
        `RedisUnavailable` (counted)."""
        if not self.connected:
            self.stats.unavailable += 1
            raise RedisUnavailable(
                f"{self!r} is disconnected from Redis (reconnecting); nothing was published "
                f"for channel {channel!r}."
            )
        return await self._publisher.publish_and_wait(key, payload)

    async def _on_message(self, key: bytes, data: bytes) -> None:
        """Deliver one pub/sub message to this process's channels."""
        if key == self._process_key:
            channel, message = unpack(data)
            try:
                await self._local.send(channel, message)
            except ChannelFull:
                self._log_drop(channel, None)
            except (LayerClosed, TypeError, ValueError):
                logger.debug("dropped a message for channel %r", channel, exc_info=True)
            return
        if data[:_PID_LENGTH] == self._origin:
            return  # our own group_send: local members already have it
        group = key[len(self._group_prefix) :].decode()
        if group in self._members:
            await self._local.group_send(group, unpack(data[_PID_LENGTH:]))

    def _log_drop(self, channel: str, group: str | None) -> None:
        """Rate-limited drop log for a drop already counted."""
        self._drops_unreported += 1
        now = self.clock()
        if now >= self._next_drop_report:
            self._report_drops(channel, group)
            self._next_drop_report = now + self.drop_log_interval

    def _warn(self, template: str, *args: object) -> None:
        """A WARNING on ``chanx.layers.redis``, at most once per `drop_log_interval`."""
        now = self.clock()
        if now >= self._next_warning:
            self._next_warning = now + self.drop_log_interval
            logger.warning(
                "%r: " + template + " (counted in layer.stats; further warnings suppressed "
                "for %ss).",
                self,
                *args,
                self.drop_log_interval,
            )
