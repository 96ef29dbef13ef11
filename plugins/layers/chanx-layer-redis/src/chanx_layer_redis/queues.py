"""Channels without a process part (no ``!``): one Redis list each, shared by all processes.

These are the named channels a Django Channels worker receives on (``"thumbnails"``), where
any process may receive and each message must reach one receiver. A message is stored as a
fixed-width wall-clock deadline followed by its msgpack body, so a Lua script can discard
expired messages from the head before it checks the capacity.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from chanx.layers.exceptions import ChannelFull, LayerClosed
from chanx_layer_redis.codec import pack, unpack
from chanx_layer_redis.stats import RedisUnavailable

if TYPE_CHECKING:
    from chanx_layer_redis.connection import Client
    from chanx_layer_redis.layer import RedisChannelLayer

__all__ = ["ListQueues"]

_DEADLINE_WIDTH = 17
_FLUSH_BATCH = 500
_PUSH = f"""
local key = KEYS[1]
local now = tonumber(ARGV[2])
while true do
  local head = redis.call('LINDEX', key, 0)
  if not head or tonumber(string.sub(head, 1, {_DEADLINE_WIDTH})) > now then break end
  redis.call('LPOP', key)
end
if redis.call('LLEN', key) >= tonumber(ARGV[3]) then return 0 end
redis.call('RPUSH', key, ARGV[1])
redis.call('EXPIRE', key, ARGV[4])
return 1
"""


class ListQueues:
    """Send to and receive from list-backed channels of one layer.

    Args:
        layer: The owning layer (its prefix, capacities, expiry, stats and state).
        client: Its Redis client.
        block: Seconds one ``BLPOP`` waits (kept below the socket timeout).
    """

    def __init__(self, layer: RedisChannelLayer, client: Client, block: float) -> None:
        self._layer = layer
        self._client = client
        self._block = block
        self._push = client.register_script(_PUSH)

    def key(self, channel: str) -> str:
        """The Redis key of `channel`."""
        return f"{self._layer.prefix}:q:{channel}"

    async def push(self, channel: str, message: dict[str, Any]) -> None:
        """Append `message`; raise `ChannelFull` at capacity, `RedisUnavailable` on failure."""
        layer = self._layer
        now = time.time()
        body = f"{now + layer.expiry:0{_DEADLINE_WIDTH}.3f}".encode() + pack(message)
        capacity = layer.get_capacity(channel)
        ttl = max(1, int(layer.expiry) + 1)
        try:
            added = await self._push(keys=[self.key(channel)], args=[body, now, capacity, ttl])
        except (RedisError, OSError) as exc:
            layer.stats.unavailable += 1
            raise RedisUnavailable(
                f"Redis is unreachable; the message for channel {channel!r} was not sent ({exc})."
            ) from exc
        if not added:
            layer.stats.dropped_full += 1
            raise ChannelFull(
                f"Channel {channel!r} is full: {capacity} messages are waiting for its "
                "receiver. Retry later, or raise the capacity (channel_capacity)."
            )
        layer.stats.sent += 1

    async def pop(self, channel: str) -> dict[str, Any]:
        """Wait for the next unexpired message, riding out Redis outages."""
        layer = self._layer
        key = self.key(channel)
        while True:
            if layer.closed:
                raise LayerClosed(f"{layer!r} was closed while this receive was waiting.")
            try:
                popped: Any = await self._client.blpop([key], timeout=self._block)
            except (RedisError, OSError):
                # Redis is down (or the layer closed the client): wait, then try again.
                await asyncio.sleep(0 if layer.closed else layer.reconnect_backoff[1] / 10)
                continue
            if popped is None:
                continue
            data: bytes = popped[1]
            if float(data[:_DEADLINE_WIDTH]) <= time.time():
                layer.stats.expired += 1
                continue
            layer.stats.delivered += 1
            message: dict[str, Any] = unpack(data[_DEADLINE_WIDTH:])
            return message

    async def flush(self) -> None:
        """Delete every list of this layer's prefix (one UNLINK per batch of keys)."""
        pattern = f"{self._layer.prefix}:q:*"
        keys: list[Any] = []
        async for key in self._client.scan_iter(match=pattern, count=_FLUSH_BATCH):
            keys.append(key)
            if len(keys) >= _FLUSH_BATCH:
                await self._client.unlink(*keys)
                keys.clear()
        if keys:
            await self._client.unlink(*keys)
