"""The per-process side of `RedisChannelLayer`: its identity, home loop and warnings.

A layer's *process id* names its channels (``<prefix><process-id>!<local-id>``), its pub/sub
channel (``<prefix>:p:<process-id>``) and the origin stamped on its group publishes (a process
skips its own echo). It must differ in every process sharing Redis, so a child made by
``os.fork()`` (gunicorn ``--preload``, a prefork task worker, `multiprocessing` with the fork
start method) draws a new one for every layer it inherited, and drops the inherited
connections and receiving state: they belong to the parent's event loops and sockets.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import secrets
import weakref
from collections.abc import Callable
from typing import Any

from chanx.layers.base import BaseChannelLayer
from chanx.layers.exceptions import LayerClosed
from chanx_layer_redis.home import Home
from chanx_layer_redis.link import Link, Links
from chanx_layer_redis.stats import RedisLayerStats

logger = logging.getLogger("chanx.layers.redis")

PID_LENGTH = 12
"""Characters of a process id (hex)."""

_inherited: weakref.WeakSet[ProcessSide] = weakref.WeakSet()


def _renew_inherited() -> None:
    """In a forked child: every layer of the parent starts over as this process's own."""
    for layer in list(_inherited):
        layer.start_over()


os.register_at_fork(after_in_child=_renew_inherited)


class ProcessSide(BaseChannelLayer):
    """What a Redis layer keeps per process; `RedisChannelLayer` adds the messaging API."""

    prefix: str
    stats: RedisLayerStats
    connect_timeout: float
    _config: dict[str, Any]
    _make_link: Callable[[asyncio.AbstractEventLoop], Link]
    _close_timeout: float
    _closed: bool

    def start_over(self) -> None:
        """Draw a new process id and forget every connection, channel and membership.

        Called in a child process right after ``os.fork()``: nothing of the parent's is
        usable there (its loops do not run, its sockets are the parent's), and sharing its
        process id would make the two processes skip each other's group messages.
        """
        self._pid = secrets.token_hex(PID_LENGTH // 2)
        self.origin = self._pid.encode()
        # Published from another loop of this process: the home loop's reader delivers it.
        self._away_origin = secrets.token_hex(PID_LENGTH // 2).encode()
        self.process_key = f"{self.prefix}:p:{self._pid}".encode()
        self._links = Links(self._make_link, self._close_timeout)
        self._home: Home | None = None
        self.__dict__.pop("_topic_store", None)
        self.stats = RedisLayerStats()
        self._next_warning = -math.inf
        _inherited.add(self)

    @property
    def connected(self) -> bool:
        """Whether the pub/sub connection is up and subscribed."""
        return self._home is not None and self._home.connected

    async def drop_connection(self) -> None:
        """Break the pub/sub connection as a network failure would (tests, drills)."""
        if self._home is not None:
            await self._home.subscriber.drop_connection()

    async def wait_connected(self, timeout: float) -> None:
        """Wait until the pub/sub connection is subscribed; `TimeoutError` after `timeout`."""
        home = await self._start()
        await home.wait_connected(timeout)

    def _check_open(self) -> None:
        if self._closed:
            raise LayerClosed(f"{self!r} is closed; get a fresh layer (get_channel_layer()).")

    async def _start(self) -> Home:
        """The receiving side on the running loop, started on first use; the first callers
        wait (at most `connect_timeout`) until it is subscribed."""
        loop = asyncio.get_running_loop()
        home = self._home
        if home is None or home.loop is not loop:
            if home is not None and home.loop.is_running() and not home.loop.is_closed():
                raise RuntimeError(
                    f"{self!r} receives on the event loop of another thread: new_channel, "
                    "receive and group_add/discard work on one loop per layer (the one "
                    "serving the connections). send and group_send work from any loop."
                )
            # First use, or that loop ended (its channels and receivers ended with it).
            home = self._home = Home(self, await self._links.open(loop), self._config)  # type: ignore[arg-type]
        await home.wait_ready()
        return home

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
