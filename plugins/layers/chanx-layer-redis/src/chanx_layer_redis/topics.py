"""`RedisTopicStore`: topic offsets, history and presence in Redis, shared by every process.

Keys, under the layer's prefix, per topic name ``T``:

- ``<prefix>:t:{T}:m``: a hash with the topic's ``epoch`` and last ``offset``;
- ``<prefix>:t:{T}:h``: a stream of the kept pushes, entry id ``<offset>-0``, fields ``r``
  (the record, JSON) and ``t`` (milliseconds when it was appended), capped at
  `history_size` entries with ``MAXLEN``;
- ``<prefix>:t:{T}:p`` / ``:pe``: presence, a hash member -> info and a sorted set
  member -> the time its renewal runs out.

Counting and keeping a push is one Lua script, so offsets are gap-free and each is given
once, whichever process broadcasts. The epoch is created with the topic's hash; a flush or
expiry loses both together, and the next push starts a new epoch. Both keys expire after
`idle_expiry` seconds without a push.

Presence entries are renewed by each process every third of `presence_ttl` for its own
connections; a process that dies stops renewing, and the next process to look at the
topic (renewal sweep or `presence()`) removes the entries and reports them once through
`on_presence_expired`, so subscribers get their `presence_leave`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from chanx.layers.topics import HistoryWindow, Position, PresenceExpired

__all__ = ["RedisTopicStore"]

logger = logging.getLogger("chanx.layers.redis")

T = TypeVar("T")

_APPEND = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
end
local offset = redis.call('HINCRBY', KEYS[1], 'offset', 1)
local size = tonumber(ARGV[3])
if size > 0 then
  redis.call('XADD', KEYS[2], 'MAXLEN', size, offset .. '-0', 'r', ARGV[2], 't', ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {epoch, offset}
"""

_READ = """
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  epoch = ARGV[4]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'offset', 0)
  redis.call('EXPIRE', KEYS[1], ARGV[6])
end
local offset = tonumber(redis.call('HGET', KEYS[1], 'offset'))
local after = tonumber(ARGV[1])
if after < 0 then return {epoch, offset, 1, {}} end
local missed = offset - after
if epoch ~= ARGV[2] or missed < 0 or missed > tonumber(ARGV[3]) then
  return {epoch, offset, 0, {}}
end
if missed == 0 then return {epoch, offset, 1, {}} end
local entries = redis.call('XRANGE', KEYS[2], (after + 1) .. '-0', '+', 'COUNT', missed)
if #entries < missed or entries[1][1] ~= (after + 1) .. '-0' then
  return {epoch, offset, 0, {}}
end
local oldest = tonumber(ARGV[5])
if oldest >= 0 and tonumber(entries[1][2][4]) < oldest then
  return {epoch, offset, 0, {}}
end
return {epoch, offset, 1, entries}
"""

_PRESENCE_SWEEP = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local gone = {}
for _, member in ipairs(expired) do
  local info = redis.call('HGET', KEYS[1], member)
  redis.call('HDEL', KEYS[1], member)
  redis.call('ZREM', KEYS[2], member)
  table.insert(gone, member)
  table.insert(gone, info or '')
end
return {gone, redis.call('HGETALL', KEYS[1])}
"""


class RedisTopicStore:
    """The topic store of the Redis layer (`RedisChannelLayer.topic_store()`).

    Args:
        client: The layer's Redis client.
        prefix: The layer's key prefix.
        closed: Tells whether the layer was closed (the renewal task then stops).

    Attributes:
        presence_ttl: Seconds a process's presence entries outlive its last renewal.
        idle_expiry: Seconds a topic's offsets and history outlive its last push.
    """

    def __init__(self, client: Any, prefix: str, closed: Callable[[], bool]) -> None:
        self._client = client
        self._prefix = prefix
        self._closed = closed
        self.presence_ttl = 30.0
        self.idle_expiry = 86400
        self.on_presence_expired: PresenceExpired | None = None
        self._append = client.register_script(_APPEND)
        self._read = client.register_script(_READ)
        self._sweep = client.register_script(_PRESENCE_SWEEP)
        self._local: dict[tuple[str, str], None] = {}
        self._renewer: asyncio.Task[None] | None = None

    def _keys(self, topic: str, *suffixes: str) -> list[str]:
        return [f"{self._prefix}:t:{{{topic}}}:{s}" for s in suffixes]

    async def append(
        self, topic: str, record: dict[str, Any], *, size: int, ttl: float | None
    ) -> Position:
        """Count one push on `topic` and keep it in its capped stream."""
        args = [secrets.token_hex(6), json.dumps(record), size, _now_ms(), self.idle_expiry]
        epoch, offset = await self._retry(
            lambda: self._append(keys=self._keys(topic, "m", "h"), args=args)
        )
        return Position(int(offset), _text(epoch))

    async def position(self, topic: str) -> Position:
        """The topic's current offset and epoch (a topic without any gets its epoch now)."""
        window = await self._window(topic, -1, "", 0, None)
        return window.position

    async def read(
        self, topic: str, after: int, epoch: str, *, limit: int, ttl: float | None
    ) -> HistoryWindow:
        """The pushes after `after` in `epoch`, if the stream still holds them all."""
        return await self._window(topic, after, epoch, limit, ttl)

    async def _window(
        self, topic: str, after: int, epoch: str, limit: int, ttl: float | None
    ) -> HistoryWindow:
        oldest = -1 if ttl is None else _now_ms() - int(ttl * 1000)
        args = [after, epoch, limit, secrets.token_hex(6), oldest, self.idle_expiry]
        current, offset, covered, raw = await self._retry(
            lambda: self._read(keys=self._keys(topic, "m", "h"), args=args)
        )
        position = Position(int(offset), _text(current))
        if not int(covered):
            return HistoryWindow(position, None)
        entries = []
        for entry_id, fields in raw:
            values = dict(zip(fields[::2], fields[1::2], strict=True))
            offset_text = _text(entry_id).split("-", 1)[0]
            entries.append((int(offset_text), json.loads(values[b"r"])))
        return HistoryWindow(position, entries)

    async def presence_join(self, topic: str, member: str, info: dict[str, Any] | None) -> None:
        """Record `member` on `topic`; this process renews it until it leaves."""
        entry = json.dumps({"info": info, "joined": time.time()})
        hash_key, zset_key = self._keys(topic, "p", "pe")
        expire = int(self.presence_ttl * 3) + 1

        async def write() -> None:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hset(hash_key, member, entry)
                pipe.zadd(zset_key, {member: _now_ms() + int(self.presence_ttl * 1000)})
                pipe.expire(hash_key, expire)
                pipe.expire(zset_key, expire)
                await pipe.execute()

        await self._retry(write)
        self._local[(topic, member)] = None
        self._start_renewing()

    async def presence_leave(self, topic: str, member: str) -> bool:
        """Forget `member` on `topic`; False if it was already gone (expired)."""
        self._local.pop((topic, member), None)
        hash_key, zset_key = self._keys(topic, "p", "pe")

        async def remove() -> Any:
            async with self._client.pipeline(transaction=True) as pipe:
                pipe.hdel(hash_key, member)
                pipe.zrem(zset_key, member)
                return await pipe.execute()

        removed, _ = await self._retry(remove)
        return bool(removed)

    async def presence_members(self, topic: str) -> list[tuple[str, dict[str, Any] | None]]:
        """The members of `topic` in every process, in the order they joined."""
        raw = await self._retry(
            lambda: self._sweep(keys=self._keys(topic, "p", "pe"), args=[_now_ms()])
        )
        gone, present = raw
        self._report(topic, gone)
        members = []
        for member, entry in zip(present[::2], present[1::2], strict=True):
            data = json.loads(entry)
            members.append((data["joined"], _text(member), data["info"]))
        return [(member, info) for _, member, info in sorted(members, key=lambda m: m[0])]

    def _report(self, topic: str, gone: list[Any]) -> None:
        callback = self.on_presence_expired
        for member, entry in zip(gone[::2], gone[1::2], strict=True):
            info = json.loads(entry)["info"] if entry else None
            if callback is not None:
                callback(topic, _text(member), info)

    def _start_renewing(self) -> None:
        if self._renewer is None or self._renewer.done():
            self._renewer = asyncio.ensure_future(self._renew_forever())

    async def _renew_forever(self) -> None:
        """Every third of the TTL: renew this process's entries, sweep their topics."""
        while self._local and not self._closed():
            await asyncio.sleep(self.presence_ttl / 3)
            if self._closed():
                return
            try:
                await self._renew_once()
            except (RedisError, OSError) as exc:
                logger.warning("renewing presence in Redis failed: %s", exc)

    async def _renew_once(self) -> None:
        local = list(self._local)
        deadline = _now_ms() + int(self.presence_ttl * 1000)
        expire = int(self.presence_ttl * 3) + 1
        async with self._client.pipeline(transaction=False) as pipe:
            for topic, member in local:
                hash_key, zset_key = self._keys(topic, "p", "pe")
                pipe.zadd(zset_key, {member: deadline}, xx=True)
                pipe.expire(hash_key, expire)
                pipe.expire(zset_key, expire)
            await pipe.execute()
        for topic in {topic for topic, _ in local}:
            await self.presence_members(topic)  # removes and reports the dead ones

    async def aclose(self) -> None:
        """Stop renewing and close the store's own client (the layer is closing)."""
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._renewer
        with contextlib.suppress(Exception):
            await self._client.aclose(close_connection_pool=True)

    async def _retry(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run `call`; once more on a fresh connection if a restart killed the pooled one."""
        try:
            return await call()
        except RedisConnectionError:
            return await call()


def _now_ms() -> int:
    return int(time.time() * 1000)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
