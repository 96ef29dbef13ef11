"""`LayerInbox`: a connection's channel-layer messages, served in order with no task parked.

A connection on a layer that can hand messages to a listener (`InMemoryChannelLayer.listen`)
keeps no task waiting in `receive()`: the layer offers each message inside the sender's call.
While the inbox is idle it takes the message at once:

- a relayed frame that can be forwarded as is (`quick`) is sent right there, through
  `Connection.send_now`, with no task switch when the server's send does not suspend; when it
  does suspend, the rest of that send runs in a task and later messages wait behind it;
- anything else (an event for a handler, a topic push, a relay that needs re-encoding or a
  completion frame) starts a task, in the connection's context, that serves it with
  `serve` and then whatever queued meanwhile.

While busy it declines offers, so the layer queues them (with the channel's capacity, expiry
and drop counting) and the inbox's task takes them with `receive_nowait`, in order. A handler
that awaits therefore delays only its own connection, never the sender or the other members.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from chanx.layers.exceptions import LayerClosed

if TYPE_CHECKING:
    from chanx.layers.base import ChannelListener

__all__ = ["LayerInbox", "ListeningLayer"]

logger = logging.getLogger("chanx.consumer")

Message = dict[str, Any]
Serve = Callable[[Message], Awaitable[None]]
Quick = Callable[[Message], "bool | asyncio.Task[None]"]
"""Serve a message within the call if it needs no handler: True (done), a task (its send is
still running), or False (it needs `serve`)."""


class ListeningLayer(Protocol):
    """A layer that can hand a channel's messages to a listener (in-memory and Redis do)."""

    def listen(self, channel: str, listener: ChannelListener) -> bool: ...

    def unlisten(self, channel: str, listener: ChannelListener) -> None: ...

    def receive_nowait(self, channel: str) -> Message | None: ...


class LayerInbox:
    """Serves one connection's channel-layer messages (see the module docstring).

    Args:
        layer: The layer the connection's channel lives on.
        channel: The connection's channel name.
        serve: Serves one message fully (handlers, encoding); it should not raise.
        quick: Serves a forwardable relay within the call, or None to always use `serve`.
        name: Names the consumer in log records.
    """

    __slots__ = ("_busy", "_channel", "_closed", "_context", "_layer", "_name", "_quick", "_serve")

    def __init__(
        self,
        layer: ListeningLayer,
        channel: str,
        serve: Serve,
        quick: Quick | None,
        name: str,
    ) -> None:
        self._layer = layer
        self._channel = channel
        self._serve = serve
        self._quick = quick
        self._name = name
        self._context = contextvars.copy_context()
        self._busy: asyncio.Task[None] | None = None
        self._closed = False

    def open(self) -> bool:
        """Start taking the channel's messages (and serve any that queued before).

        Returns:
            False if the layer does not offer this channel's messages to a listener (the
            caller receives them with a task instead); True otherwise, a closed layer included.
        """
        try:
            if not self._layer.listen(self._channel, self):
                self._closed = True
                return False
        except LayerClosed:
            self.layer_closed()
            return True
        self._take_queued()
        return True

    async def close(self) -> None:
        """Stop listening; cancel the message in progress and wait until it has stopped."""
        self._closed = True
        with contextlib.suppress(LayerClosed):
            self._layer.unlisten(self._channel, self)
        task = self._busy
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def offer(self, message: Message) -> bool:
        """Take `message` now unless a message is in progress (then the layer queues it)."""
        if self._busy is not None or self._closed:
            return False
        self._take(message)
        return True

    def layer_closed(self) -> None:
        """The layer was closed: events stop for this connection."""
        if not self._closed:
            self._closed = True
            logger.info("%s: channel layer closed; events stop for this connection", self._name)

    def _take(self, message: Message) -> bool:
        """Serve `message` (the inbox is idle); True if it is idle again at once."""
        quick = self._quick
        if quick is not None:
            try:
                done = quick(message)
            except Exception:  # the server's send failed: as a handler's failure would
                logger.exception("%s: serving a channel-layer message failed", self._name)
                return True
            if done is True:
                return True
            if done is not False:  # its send suspended: later messages wait behind it
                self._busy = done
                done.add_done_callback(self._sent)
                return False
        self._busy = asyncio.get_running_loop().create_task(
            self._drain(message), context=self._context
        )
        return False

    def _sent(self, sending: asyncio.Task[None]) -> None:
        """A suspended send ended: serve what queued behind it, within this callback."""
        if self._busy is sending:
            self._busy = None
        if sending.cancelled():
            return
        error = sending.exception()
        if error is not None:
            logger.error(
                "%s: serving a channel-layer message failed",
                self._name,
                exc_info=(type(error), error, error.__traceback__),
            )
        self._take_queued()

    def _take_queued(self) -> None:
        """Serve queued messages, in order, until the queue is empty or one is in progress."""
        while not self._closed and self._busy is None:
            try:
                message = self._layer.receive_nowait(self._channel)
            except LayerClosed:
                self.layer_closed()
                return
            if message is None or not self._take(message):
                return

    async def _drain(self, first: Message) -> None:
        """The inbox's task: serve `first`, then what queued meanwhile, then go idle."""
        message: Message | None = first
        try:
            while message is not None and not self._closed:
                try:
                    await self._serve(message)
                except Exception:
                    logger.exception("%s: serving a channel-layer message failed", self._name)
                try:
                    message = self._layer.receive_nowait(self._channel)
                except LayerClosed:
                    self.layer_closed()
                    return
        finally:
            self._busy = None
