"""The receiving side of a layer: this process's channels, memberships and pub/sub reader.

They live on one event loop, the one serving the process's connections (the layer's *home*).
`Home` owns that state and the only ways to change it; the layer creates one on the first
receive-side call (`new_channel`, `receive`, `group_add`) and a new one if that loop ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from redis.asyncio import RedisCluster

from chanx.layers.exceptions import ChannelFull, LayerClosed
from chanx_layer_redis.codec import unpack
from chanx_layer_redis.local import LocalChannels
from chanx_layer_redis.sharded import ShardedSubscriber
from chanx_layer_redis.subscriber import Subscriber

if TYPE_CHECKING:
    from chanx_layer_redis.layer import RedisChannelLayer
    from chanx_layer_redis.link import Link

__all__ = ["Home"]

logger = logging.getLogger("chanx.layers.redis")


class Home:
    """A layer's channels, group memberships and pub/sub reader on its serving loop.

    Args:
        layer: The owning layer (its names, counters, drop log and settings).
        link: The connections of the serving loop; the reader takes one from its pool (on a
            cluster, it opens one per master it needs).
        config: Capacity and expiry settings for the in-memory channels.
    """

    def __init__(self, layer: RedisChannelLayer, link: Link, config: dict[str, Any]) -> None:
        self.loop = link.loop
        self.local = LocalChannels(layer, **config)
        self.members: dict[str, set[str]] = {}
        self.waited = False
        self._layer = layer
        self._ready = asyncio.Event()
        self._connect_timeout = layer.connect_timeout
        self._process_key = layer.process_key
        self._group_prefix = layer.group_prefix
        self._origin = layer.origin
        self._origin_length = len(layer.origin)
        client = link.client
        self.subscriber: Subscriber | ShardedSubscriber
        if isinstance(client, RedisCluster):
            self.subscriber = ShardedSubscriber(
                client,
                layer.clients.node,
                self._on_message,
                self._on_state,
                layer.stats,
                backoff=layer.reconnect_backoff,
                confirm_timeout=layer.connect_timeout,
            )
        else:
            self.subscriber = Subscriber(
                client,
                self._on_message,
                self._on_state,
                layer.stats,
                backoff=layer.reconnect_backoff,
                confirm_timeout=layer.connect_timeout,
            )
        self.subscriber.wanted.add(self._process_key)
        self.subscriber.start()

    @property
    def connected(self) -> bool:
        """Whether the reader is subscribed."""
        return self.subscriber.connected

    async def wait_ready(self) -> None:
        """The first time only: wait (at most the connect timeout) until subscribed."""
        if not self.waited:
            try:
                async with asyncio.timeout(self._connect_timeout):
                    await self._ready.wait()
            except TimeoutError:
                pass
            self.waited = True

    async def wait_connected(self, timeout: float) -> None:
        """Wait until subscribed; `TimeoutError` after `timeout`."""
        async with asyncio.timeout(timeout):
            await self._ready.wait()

    async def join(self, group: str, channel: str) -> None:
        """Add a local channel to `group`; subscribe for the group's first local member."""
        await self.local.group_add(group, channel)
        self.members.setdefault(group, set()).add(channel)
        await self.subscriber.add(self._group_prefix + group.encode())

    async def leave(self, group: str, channel: str) -> None:
        """Remove a local channel from `group`; unsubscribe when no local member is left."""
        await self.local.group_discard(group, channel)
        members = self.members.get(group)
        if members is None:
            return
        members.discard(channel)
        if not members:
            del self.members[group]
            await self.subscriber.remove(self._group_prefix + group.encode())

    async def flush(self) -> None:
        """Drop every local message and membership, and the subscriptions they needed."""
        await self.local.flush()
        groups, self.members = list(self.members), {}
        for group in groups:
            await self.subscriber.remove(self._group_prefix + group.encode())

    async def close(self) -> None:
        """Stop the reader; pending receivers get `LayerClosed`."""
        await self.subscriber.close()
        await self.local.close()

    async def close_from(self, loop: asyncio.AbstractEventLoop) -> None:
        """`close`, called from `loop`: run it on the home loop if that is another thread's."""
        if self.loop is loop:
            await self.close()
        elif self.loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self.close(), self.loop)
            with contextlib.suppress(TimeoutError, RuntimeError):
                async with asyncio.timeout(self._connect_timeout + 1):
                    await asyncio.wrap_future(future)
        # a home whose loop ended was stopped with it

    def _on_state(self, up: bool) -> None:
        if up:
            self._ready.set()
        else:
            self._ready.clear()

    async def _on_message(self, key: bytes, data: bytes) -> None:
        """Deliver one pub/sub message to this process's channels."""
        if key == self._process_key:
            channel, message = unpack(data)
            try:
                await self.local.send(channel, message)
            except ChannelFull:
                self._layer._log_drop(channel, None)
            except (LayerClosed, TypeError, ValueError):
                logger.debug("dropped a message for channel %r", channel, exc_info=True)
            return
        if data[: self._origin_length] == self._origin:
            return  # our own group_send: local members already have it
        group = key[len(self._group_prefix) :].decode()
        if group in self.members:
            await self.local.group_send(group, unpack(data[self._origin_length :]))
