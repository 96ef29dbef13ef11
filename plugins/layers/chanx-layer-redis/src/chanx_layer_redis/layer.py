"""`RedisChannelLayer`: channels and groups across processes, one publish per group send.

Each layer instance has a random 12-character process id (a new one in a child made by
``os.fork()``, see `chanx_layer_redis.process`); `new_channel` names are
``<prefix><process-id>!<local-id>`` and live in the process's memory (`LocalChannels`). Redis
pub/sub carries what crosses processes: ``<prefix>:g:<group>`` (one PUBLISH per `group_send`,
fanned out from memory by every process with members) and ``<prefix>:p:<process-id>``
(`send` to another process's channel). Names without ``!`` are Redis lists (`ListQueues`).
Delivery is at-most-once; docs/redis-layer.md says exactly when a message can be lost.
The process's channels live on one event loop (the *home* loop); each other loop that sends
gets its own connections (`Link`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import secrets
from collections.abc import Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from chanx.layers.base import (
    validate_channel_name,
    validate_group_name,
    validate_message,
)
from chanx.layers.confirm import sends_confirmed
from chanx.layers.exceptions import LayerClosed
from chanx_layer_redis.codec import pack
from chanx_layer_redis.connection import ClientFactory, HostSpec, resolve_url
from chanx_layer_redis.link import Link
from chanx_layer_redis.process import PID_LENGTH, ProcessSide
from chanx_layer_redis.stats import RedisLayerStats, RedisUnavailable
from chanx_layer_redis.topics import RedisTopicStore

if TYPE_CHECKING:
    import re

    from chanx.layers.base import ChannelListener
    from chanx_layer_redis.home import Home

__all__ = ["RedisChannelLayer", "RedisLayerStats", "RedisUnavailable"]


class RedisChannelLayer(ProcessSide):
    """A channel layer for several processes (and machines) that share Redis.

    Args:
        url: Server URL, ``redis://[:password@]host:port/db`` or ``rediss://`` for TLS (any
            node of the cluster with `cluster`). Default ``redis://127.0.0.1:6379/0``.
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
        close_timeout: Seconds `close` (and the end of an event loop that sent) may spend
            sending what is still queued; what is left is counted in ``stats.abandoned``.
        cluster: `url` is a node of a Redis Cluster (7.0+): groups and process channels use
            sharded pub/sub (``SPUBLISH``/``SSUBSCRIBE``), spread over the masters by slot.

    Receiving (`new_channel`, `receive`, `group_add`) happens on one event loop, the one
    serving the process's connections. `send` and `group_send` work from any loop and
    thread: a loop that lives for one call (``asyncio.run``, ``async_to_sync``) gets its own
    connections, and its end sends what it queued. Inside `chanx.layers.confirmed_sends`
    (the ``_sync`` event twins) a `group_send` returns only once Redis has the message.
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
        close_timeout: float = 5.0,
        cluster: bool = False,
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
        address, extra = resolve_url(url, hosts)
        self.clients = ClientFactory(
            address, extra, ssl, sentinels, service_name, sentinel_kwargs, max_connections,
            socket_timeout, connect_timeout, cluster,
        )  # fmt: skip
        self.clients.build()  # a bad configuration fails here, not at first use
        new_link = functools.partial(
            Link,
            self,
            command="SPUBLISH" if cluster else "PUBLISH",
            socket_timeout=socket_timeout,
            close_timeout=close_timeout,
        )
        self._config = config
        # A cluster's reader is "connected" only while every master it reads from is: one
        # master down (failing over) says nothing about the shard a message goes to, so the
        # publisher, which sends each master's share on its own, decides per shard.
        self._cluster = cluster
        self.connect_timeout = connect_timeout
        self.group_prefix = f"{prefix}:g:".encode()
        self._make_link = lambda loop: new_link(loop, self.clients.build())
        self._close_timeout = close_timeout
        self.start_over()  # the process id, no connection yet
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"RedisChannelLayer(prefix={self.prefix!r}, process={self._pid!r}, "
            f"capacity={self.capacity}, expiry={self.expiry})"
        )

    @property
    def closed(self) -> bool:
        """Whether `close` has been called."""
        return self._closed

    async def new_channel(self, prefix: str = "specific.") -> str:
        """Return a new channel name of this process: ``<prefix><process-id>!<local-id>``.

        Raises:
            ValueError: The prefix makes the name invalid.
            RuntimeError: The layer receives on another thread's running event loop.
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
        loop = asyncio.get_running_loop()
        home = self._home if self._home is not None and self._home.loop is loop else None
        if bang and home is not None and head.endswith(self._pid):
            await home.local.send(channel, message)
            return
        link = self._links.get(loop) or await self._links.open(loop)
        if not bang:
            await link.queues.push(channel, message)
            return
        if home is not None and not home.connected and not self._cluster:
            self.stats.unavailable += 1
            raise RedisUnavailable(
                f"{self!r} is disconnected from Redis (reconnecting); nothing was "
                f"published for channel {channel!r}."
            )
        key = f"{self.prefix}:p:{head[-PID_LENGTH:]}"
        if not await link.publisher.publish_and_wait(key, pack((channel, message))):
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
        home = self._served_here(channel)
        if home is not None and home.waited:
            return home.local.receive(channel)  # it validates the name
        return self._receive(channel)

    def _served_here(self, channel: str) -> Home | None:
        """The home of `channel` if it is a channel of this process and the running loop is
        the one serving it (where its messages are received or offered); else None."""
        home = self._home
        if home is None or not isinstance(channel, str):
            return None
        head, bang, _ = channel.partition("!")
        if bang and head.endswith(self._pid) and asyncio.get_running_loop() is home.loop:
            return home
        return None

    async def _receive(self, channel: str) -> dict[str, Any]:
        """`receive` before the reader started, for list channels, and for errors."""
        validate_channel_name(channel)
        self._check_open()
        head, bang, _ = channel.partition("!")
        home = await self._start()
        if not bang:
            link = await self._links.open(home.loop)
            return await link.queues.pop(channel)
        if head.endswith(self._pid):
            return await home.local.receive(channel)
        raise ValueError(
            f"Channel {channel!r} belongs to another process's layer; a process can only "
            "receive on channels its own layer's new_channel() created."
        )

    def listen(self, channel: str, listener: ChannelListener) -> bool:
        """Offer `channel`'s messages to `listener` instead of a task waiting in `receive`.

        Only for a channel of this process, on the loop that serves it (where `new_channel`
        made it): messages for it, from this process or through Redis, are offered to the
        listener inside the call that delivers them (see `ChannelListener`). For any other
        channel it returns False and the caller receives as usual.

        Raises:
            LayerClosed: The layer was closed.
        """
        self._check_open()
        home = self._served_here(channel)
        return home is not None and home.local.listen(channel, listener)

    def unlisten(self, channel: str, listener: ChannelListener) -> None:
        """Stop offering `channel`'s messages to `listener` (a no-op if it is not listening)."""
        home = self._home
        if home is not None:
            home.local.unlisten(channel, listener)

    def receive_nowait(self, channel: str) -> dict[str, Any] | None:
        """The next message queued on a listened channel of this process, or None.

        Raises:
            LayerClosed: The layer was closed.
        """
        self._check_open()
        home = self._home
        return home.local.receive_nowait(channel) if home is not None else None

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
        home = await self._start()
        head, bang, _ = channel.partition("!")
        if not (bang and head.endswith(self._pid)):
            raise ValueError(
                f"RedisChannelLayer.group_add({group!r}, {channel!r}): only channels created by "
                "this process's layer (new_channel) can join groups."
            )
        await home.join(group, channel)

    async def group_discard(self, group: str, channel: str) -> None:
        """Remove `channel` from `group`; unsubscribe when the process has no member left."""
        validate_group_name(group)
        validate_channel_name(channel)
        self._check_open()
        home = await self._start()
        await home.leave(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        """Deliver to this process's members now and publish once for the other processes.

        On the loop serving this process's connections it returns once local members have
        the message and the PUBLISH is queued (it goes out in the next pipelined batch); on
        any other loop it returns once Redis has the message. Never raises for delivery
        problems: full members drop the message (``dropped_full``), and while Redis is
        unreachable only local members get it (``unavailable``); both are logged at most once
        per `drop_log_interval`.

        Inside `chanx.layers.confirmed_sends()` it returns only once Redis has the message,
        and raises `RedisUnavailable` if it could not be published.

        Raises:
            RedisUnavailable: Confirmed sends only: Redis did not take the message.
            LayerClosed: The layer was closed.
            TypeError: The name or message has the wrong type, or cannot be serialised.
            ValueError: The name or message is malformed.
        """
        validate_group_name(group)
        validate_message(message)
        self._check_open()
        loop = asyncio.get_running_loop()
        link = self._links.get(loop) or await self._links.open(loop)
        key = self.group_prefix + group.encode()
        home = self._home
        if home is None or home.loop is not loop:
            # Not the serving loop: this process's members (if any) are reached through
            # Redis, and the loop may end right after this call (asyncio.run in a script,
            # async_to_sync): wait for Redis. Failures are counted by the publisher.
            payload = self._away_origin + pack(message)
            if sends_confirmed():
                await link.publisher.publish_and_wait(key, payload)
            else:
                with contextlib.suppress(RedisUnavailable, LayerClosed):
                    await link.publisher.publish_and_wait(key, payload)
            return
        payload = self.origin + pack(message)
        if group in home.members:
            await home.local.group_send(group, message)
        await home.wait_ready()
        if not home.connected and not self._cluster:
            self.stats.unavailable += 1
            if sends_confirmed():
                raise RedisUnavailable(
                    f"{self!r} is disconnected from Redis (reconnecting); the message for "
                    f"group {group!r} was not published."
                )
            self._warn("group_send to %r reached local members only: Redis is unreachable", group)
            return
        if sends_confirmed():
            await link.publisher.publish_and_wait(key, payload)
        else:
            await link.publisher.publish(key, payload)

    async def flush(self) -> None:
        """Discard this process's queued messages and memberships, and every list channel."""
        self._check_open()
        loop = asyncio.get_running_loop()
        if self._home is not None and self._home.loop is loop:
            await self._home.flush()
        try:
            link = await self._links.open(loop)
            await link.queues.flush()
        except (RedisError, OSError) as exc:
            raise RedisUnavailable(f"flush could not reach Redis: {exc}") from exc

    def topic_store(self) -> RedisTopicStore:
        """Offsets, history and presence of topics, in Redis (see `chanx_layer_redis.topics`)."""
        store: RedisTopicStore | None = self.__dict__.get("_topic_store")
        if store is None:
            store = self._topic_store = RedisTopicStore(
                self.clients.build(), self.prefix, lambda: self.closed
            )
        return store

    async def close(self) -> None:
        """Send what is queued (at most `close_timeout`), then stop and close everything.

        Pending receivers get `LayerClosed`. Messages that could not be sent in time are
        counted in ``stats.abandoned`` and logged.
        """
        if self._closed:
            return
        self._closed = True
        if "_topic_store" in self.__dict__:
            await self._topic_store.aclose()
        loop = asyncio.get_running_loop()
        home, self._home = self._home, None
        if home is not None:
            await home.close_from(loop)
        await self._links.close()
        self._report_drops(None, None)
