"""`serve()`: the generic ASGI loop of one WebSocket connection, for every adapter.

The life of a connection, in order:

1. `websocket.connect`: resolve the settings, check the `Origin` (a refusal is an HTTP 403
   before accept);
2. authenticate, take the per-user slot, join the groups, then `websocket.accept`
   (`chanx.core.handshake`), all within `auth_timeout`;
3. read client frames: each runs in its own task, in order (`FrameRunner`); while
   `max_pending_frames` wait, stop calling `receive()` so the server stops reading the
   socket and TCP slows the client; channel-layer messages are served concurrently;
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
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from chanx.conf import value_for
from chanx.core import sync
from chanx.core.close_codes import CloseCode
from chanx.core.connection import Connection
from chanx.core.consumer import RUNTIME_SETTINGS
from chanx.core.frames import FrameRunner
from chanx.core.handshake import open_connection, refuse
from chanx.core.limits import Limits, admit_origin, release_user_slot, resolve_limits
from chanx.core.transport import release_if_stuck
from chanx.core.watchdog import unwatch, watch
from chanx.layers.exceptions import LayerClosed

if TYPE_CHECKING:
    from chanx.core.consumer import BaseConsumer

__all__ = ["serve"]

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
    if not await admit_origin(consumer, connection, consumer._plan.authenticator_factory):
        return
    sync.remember_loop()
    code: int = CloseCode.NORMAL
    frames: FrameRunner[Message] | None = None
    layer_task: asyncio.Task[None] | None = None
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
            code = await _drain_until_disconnect(receive)
            return
        watch(connection, limits.send_timeout, limits.shutdown_grace)
        frames = connection.frames = FrameRunner(
            consumer._serve_client_frame, limits.max_pending_frames, contextvars.copy_context()
        )
        if consumer.channel_layer is not None and consumer.channel_name:
            layer_task = asyncio.create_task(_layer_worker(consumer))
        code = await _read_client(consumer, connection, frames, limits, receive)
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
        if layer_task is not None:
            layer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await layer_task
        await _on_disconnected(consumer, code)


async def _read_client(
    consumer: BaseConsumer[Any],
    connection: Connection,
    frames: FrameRunner[Message],
    limits: Limits,
    receive: Receive,
) -> int:
    """Read frames until the client leaves; return the close code."""
    bucket = limits.bucket
    while True:
        if frames.full:  # stop reading: the server pauses the socket, TCP slows the client
            await frames.wait_for_room()
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            if not connection.open:
                continue
            if limits.frame_too_big(message):
                await connection.close(CloseCode.MESSAGE_TOO_BIG, "frame too big")
            elif bucket is not None and not bucket.take():
                await connection.close(CloseCode.RATE_LIMITED, "message rate exceeded")
            else:
                frames.submit(message)
        elif kind == "websocket.disconnect":
            return int(message.get("code", CloseCode.NORMAL))


async def _drain_until_disconnect(receive: Receive) -> int:
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return int(message.get("code", CloseCode.NORMAL))


async def _layer_worker(consumer: BaseConsumer[Any]) -> None:
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
        await consumer._serve_layer_message(message)


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
