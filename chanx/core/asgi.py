"""`serve()`: the generic ASGI loop of one WebSocket connection, for every adapter.

The life of a connection, in order:

1. `websocket.connect`: resolve the settings, check the `Origin` (a refusal is an HTTP 403
   before accept);
2. authenticate, take the per-user slot, join the groups, then `websocket.accept`
   (`chanx.core.handshake`), all within `auth_timeout`;
3. read client frames: each runs in its own task, in order (`FrameRunner`); while
   `max_pending_frames` wait, stop calling `receive()` so the server stops reading the
   socket and TCP slows the client; channel-layer messages are served concurrently (by a
   `LayerInbox` the layer hands them to, or a task waiting in `receive()` on other layers);
4. at disconnect (or an abort by the slow-reader watchdog): give a running frame the
   shutdown grace on a server restart (1012), cancel what is left, leave the groups, call
   `disconnect()`.

It speaks plain ASGI and imports no framework.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from chanx.conf import value_for
from chanx.core import sync
from chanx.core.close_codes import CloseCode
from chanx.core.connection import Connection
from chanx.core.consumer import RUNTIME_SETTINGS, BaseConsumer
from chanx.core.frames import FrameRunner
from chanx.core.handshake import open_connection, refuse
from chanx.core.inbox import LayerInbox, ListeningLayer
from chanx.core.limits import Limits, admit_origin, release_user_slot, resolve_limits
from chanx.core.observe import refusal_cause
from chanx.core.transport import release_if_stuck
from chanx.core.watchdog import unwatch, watch
from chanx.layers.exceptions import LayerClosed

if TYPE_CHECKING:
    from chanx.core.topics.session import TopicSession
    from chanx.kernel.contracts import ConnectionObserver, Serve

__all__ = ["PEEK_SECONDS", "serve"]

PEEK_SECONDS = 1.0
"""While the backlog is full, how often one more message is read anyway (to see a disconnect)."""

logger = logging.getLogger("chanx.consumer")

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def serve(consumer: BaseConsumer[Any], receive: Receive, send: Send) -> None:
    """Serve one WebSocket connection with `consumer` (whose `scope` is set)."""
    connection = consumer.connection = Connection(send, consumer)
    connection.task = asyncio.current_task()
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    consumer._plan = type(consumer).current_plan()
    for name in RUNTIME_SETTINGS:
        setattr(consumer, name, value_for(consumer, name))
    limits = resolve_limits(consumer)
    observer = _observe(consumer)
    if not await admit_origin(consumer, connection, consumer._plan.authenticator_factory):
        if observer is not None:
            observer.refused("origin", connection.close_code or 403)  # HTTP 403, else a close
        return
    sync.remember_loop()
    code: int = CloseCode.NORMAL
    frames: FrameRunner[Message] | None = None
    layer_task: asyncio.Task[None] | None = None
    inbox: LayerInbox | None = None
    session: TopicSession | None = None
    try:
        try:
            async with asyncio.timeout(limits.auth_timeout):
                opened = await open_connection(consumer, limits)
        except TimeoutError:
            await refuse(
                consumer, CloseCode.AUTH_TIMEOUT, 408, "authentication timed out", announce=False
            )
            opened = False
        if not opened:
            if observer is not None:
                observer.refused(refusal_cause(connection.close_code), connection.close_code or 0)
            code = await _drain_until_disconnect(receive)
            return
        watch(connection, limits.send_timeout, limits.shutdown_grace)
        serve_frame: Serve = consumer._serve_client_frame
        serve_layer: Serve = consumer._serve_layer_message
        if consumer._plan.topics is not None:  # decided by the plan: envelope-aware frames
            from chanx.core.topics.session import TopicSession  # loaded by the plan's topics

            session = consumer._topic_session = TopicSession(consumer, consumer._plan.topics)
            serve_frame = session.serve_frame
        if observer is not None:
            observer.opened()
            serve_frame = observer.wrap_frame(serve_frame)
            serve_layer = observer.wrap_layer(serve_layer)
        frames = connection.frames = FrameRunner(
            serve_frame, limits.max_pending_frames, contextvars.copy_context()
        )
        if consumer.channel_layer is not None and consumer.channel_name:
            if _listens(consumer.channel_layer):
                inbox = _inbox(consumer, serve_layer, observer is None)
                if not inbox.open():  # the layer serves this channel to receive() only
                    inbox = None
            if inbox is None:
                layer_task = asyncio.create_task(_layer_worker(consumer, serve_layer))
        if session is not None:
            await session.open()
        code = await _read_client(connection, frames, limits, receive, observer)
    except asyncio.CancelledError:
        if connection.aborted is None:  # a real cancellation, not the watchdog's abort
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        code = connection.aborted
    finally:
        unwatch(connection)
        connection.mark_closed()
        release_user_slot(connection)
        if frames is not None:
            restart = code == CloseCode.SERVICE_RESTART  # the server is shutting down
            if restart and connection.aborted is None:  # an abort comes after the grace
                await frames.finish(limits.shutdown_grace)
            await frames.cancel()
            connection.frames = None
        if code == CloseCode.SERVICE_RESTART:  # a client that does not read holds shutdown
            release_if_stuck(connection)
        if inbox is not None:
            await inbox.close()
        if layer_task is not None:
            layer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await layer_task
        if session is not None:
            await session.close()
        await _on_disconnected(consumer, code)
        if observer is not None:
            observer.closed(connection.close_code or code)


def _observe(consumer: BaseConsumer[Any]) -> ConnectionObserver | None:
    """The connection's observer, sending through its wrapper; None for unobserved classes."""
    plan_observer = consumer._plan.observer
    if plan_observer is None:
        return None
    observer: ConnectionObserver = plan_observer.connect(consumer)
    consumer._send_frame = observer.wrap_send(consumer._send_frame)  # type: ignore[method-assign]
    return observer


async def _read_client(
    connection: Connection,
    frames: FrameRunner[Message],
    limits: Limits,
    receive: Receive,
    observer: ConnectionObserver | None,
) -> int:
    """Read frames until the client leaves; return the close code."""
    bucket = limits.bucket
    while True:
        if frames.full:  # stop reading: the server pauses the socket, TCP slows the client
            paused = time.perf_counter()
            # Still read one message a second: a client that left while a handler hangs must
            # be noticed (and the handler cancelled).
            await frames.wait_for_room(PEEK_SECONDS)
            if observer is not None:
                observer.backpressure(time.perf_counter() - paused)
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            if not connection.open:
                continue
            if limits.frame_too_big(message):
                await connection.close(CloseCode.MESSAGE_TOO_BIG, "frame too big")
            elif bucket is not None and not bucket.take():
                await connection.close(CloseCode.RATE_LIMITED, "message rate exceeded")
            elif frames.overfull:  # a flood at a handler stuck for max_pending_frames seconds
                await connection.close(CloseCode.RATE_LIMITED, "too many pending frames")
            else:
                frames.submit(message)
        elif kind == "websocket.disconnect":
            return int(message.get("code", CloseCode.NORMAL))


async def _drain_until_disconnect(receive: Receive) -> int:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code", CloseCode.NORMAL))


def _listens(layer: Any) -> bool:
    """Whether `layer` can hand a channel's messages to a listener (no task waiting on it);
    its `listen` says whether it does for a given channel."""
    return callable(getattr(layer, "listen", None)) and callable(
        getattr(layer, "receive_nowait", None)
    )


def _inbox(consumer: BaseConsumer[Any], serve: Serve, unobserved: bool) -> LayerInbox:
    """The connection's inbox; relays are forwarded within the sender's call when nothing
    else must happen per relay (no completion frame, no logging, no observer, no override)."""
    cls = type(consumer)
    forward = (
        unobserved
        and not consumer.send_completion
        and not consumer.log_websocket_message
        and cls._send_frame is BaseConsumer._send_frame
        and cls._serve_layer_message is BaseConsumer._serve_layer_message
    )
    layer: ListeningLayer = consumer.channel_layer  # type: ignore[assignment]
    return LayerInbox(
        layer,
        consumer.channel_name,
        serve,
        consumer._forward_relay if forward else None,
        consumer._plan.consumer,
    )


async def _layer_worker(
    consumer: BaseConsumer[Any], serve: Callable[[Any], Awaitable[None]]
) -> None:
    layer = consumer.channel_layer
    assert layer is not None
    while True:
        try:
            message = await layer.receive(consumer.channel_name)
        except LayerClosed:
            logger.info(
                "%s: channel layer closed; events stop for this connection", consumer._plan.consumer
            )
            return
        await serve(message)


async def _on_disconnected(consumer: BaseConsumer[Any], code: int) -> None:
    """After the socket closed: leave groups, run the hook, notify observers."""
    if not consumer.authenticated:
        return
    layer = consumer.channel_layer
    if layer is not None and consumer.channel_name:
        for group in consumer.groups:
            try:
                await layer.group_discard(group, consumer.channel_name)
            except LayerClosed:
                break
            except Exception:
                logger.exception("leaving group %r failed", group)
    try:
        await consumer.disconnect(code)
    except Exception:
        logger.exception("%s.disconnect raised", type(consumer).__qualname__)
    from chanx.kernel import get_plugin_host

    host = get_plugin_host()
    if host.has_connection_closed_observers:
        host.connection_closed(consumer, code)
