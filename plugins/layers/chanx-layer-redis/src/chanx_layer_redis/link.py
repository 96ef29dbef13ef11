"""One event loop's connections to Redis: a client, its publisher and its list queues.

redis-py's asyncio connections belong to the event loop that opened them. A layer serves its
process's connections on one loop, but `send` and `group_send` may also come from loops that
live for one call: ``async_to_sync`` in a Django management command, ``asyncio.run`` in a
script, a task worker's thread. Each loop gets its own `Link`, and the end of that loop
(``asyncio.run`` and asgiref close async generators before closing the loop) sends what the
link still has queued and closes its connections, so nothing queued dies with the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from redis.asyncio import RedisCluster
from redis.exceptions import RedisError

from chanx_layer_redis.publisher import Publisher
from chanx_layer_redis.queues import ListQueues

if TYPE_CHECKING:
    from chanx_layer_redis.connection import Client
    from chanx_layer_redis.layer import RedisChannelLayer

__all__ = ["Link", "Links"]

logger = logging.getLogger("chanx.layers.redis")

_OUTBOX_LIMIT = 10_000


class Link:
    """A layer's client, publisher and list queues on one event loop.

    Args:
        layer: The owning layer (its stats, warnings, timeouts).
        loop: The event loop these connections belong to.
        client: A client built for this loop.
        command: The publish command (``PUBLISH``, or ``SPUBLISH`` on a cluster).
        socket_timeout: Seconds a Redis call may take.
        close_timeout: Seconds `close` may spend sending what is queued.
    """

    def __init__(
        self,
        layer: RedisChannelLayer,
        loop: asyncio.AbstractEventLoop,
        client: Client,
        *,
        command: str,
        socket_timeout: float,
        close_timeout: float,
    ) -> None:
        self.loop = loop
        self.client = client
        self.publisher = Publisher(
            client,
            layer.stats,
            layer._warn,
            limit=_OUTBOX_LIMIT,
            timeout=socket_timeout,
            command=command,
            node_client=layer.clients.node if isinstance(client, RedisCluster) else None,
        )
        self.queues = ListQueues(layer, client, max(0.1, min(1.0, socket_timeout / 2)))
        self._close_timeout = close_timeout
        self._closed: asyncio.Future[int] | None = None
        self._lifetime: AsyncIterator[None] | None = None

    @classmethod
    async def open(cls, make: Callable[[], Link]) -> Link:
        """Build a link on the running loop and arrange for the loop's end to close it."""
        link = make()
        lifetime = link._watch()
        await anext(lifetime)  # registered with the loop: closed by shutdown_asyncgens()
        link._lifetime = lifetime
        return link

    async def close(self) -> int:
        """Send what is queued (bounded by the close timeout), close the connections.

        Returns:
            How many queued messages could not be sent (also in ``stats.abandoned``).
        """
        if self._closed is not None:
            return await asyncio.shield(self._closed)
        self._closed = self.loop.create_future()
        abandoned = 0
        try:
            abandoned = await self.publisher.close(self._close_timeout)
            if isinstance(self.client, RedisCluster):
                await self.client.aclose()
            else:
                await self.client.aclose(close_connection_pool=True)
                sentinels = getattr(self.client.connection_pool, "sentinel_manager", None)
                if sentinels is not None:  # its own connections to the Sentinels
                    await sentinels.aclose()
        except (RedisError, OSError, RuntimeError):
            logger.debug("closing a Redis client failed", exc_info=True)
        finally:
            self._closed.set_result(abandoned)
        return abandoned

    async def _watch(self) -> AsyncIterator[None]:
        """Suspended for the loop's life; its ``finally`` runs when the loop shuts down."""
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await self.close()


class Links:
    """A layer's links, one per event loop, opened on first use from any thread.

    Args:
        make: Builds a new `Link` for a loop (a fresh client each time).
        close_timeout: Seconds to wait for a link on another thread's loop to close.
    """

    def __init__(
        self, make: Callable[[asyncio.AbstractEventLoop], Link], close_timeout: float
    ) -> None:
        self._make = make
        self._close_timeout = close_timeout
        self._links: dict[asyncio.AbstractEventLoop, Link] = {}
        self._lock = threading.Lock()

    def get(self, loop: asyncio.AbstractEventLoop) -> Link | None:
        """The link of `loop`, if it has one (the hot path: one dict lookup)."""
        return self._links.get(loop)

    async def open(self, loop: asyncio.AbstractEventLoop) -> Link:
        """The link of the running loop `loop`, opened now if it has none."""
        link = self._links.get(loop)
        if link is None:
            link = await Link.open(lambda: self._make(loop))
            with self._lock:
                for old in [old for old in self._links if old.is_closed()]:
                    del self._links[old]  # closed with their loop
                self._links[loop] = link
        return link

    async def close(self) -> None:
        """Close every link: the running loop's here, other running loops' on their loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            links, self._links = list(self._links.values()), {}
        for link in links:
            if link.loop is loop:
                await link.close()
            elif link.loop.is_running():
                future = asyncio.run_coroutine_threadsafe(link.close(), link.loop)
                try:
                    async with asyncio.timeout(self._close_timeout + 1):
                        await asyncio.wrap_future(future)
                except (TimeoutError, RuntimeError):
                    logger.debug("closing a link on its own loop failed", exc_info=True)
            # a link of a finished loop was closed when that loop shut down
