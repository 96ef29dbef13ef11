"""`AsyncJsonWebsocketConsumer` for Django Channels.

Mount consumers as Channels users expect::

    application = ProtocolTypeRouter({
        "websocket": AuthMiddlewareStack(URLRouter([
            path("ws/chat/<int:pk>/", ChatConsumer.as_asgi()),
        ])),
    })

The consumer is the same compiled plan and the same generic ASGI loop as on Starlette
(`chanx.core.asgi`). What this module adds is what Django needs: Channels-style construction
(`as_asgi(**initkwargs)`, scope set on call), Channels' own ``CHANNEL_LAYERS``
(`channels.layers.get_channel_layer`), and sync event twins built on asgiref's
`async_to_sync`. ``settings.CHANX`` feeds the settings store (`chanx.channels.settings`).

Unlike Channels' own consumers, no thread-pool hop is made per message (Channels closes
stale database connections before every message); database work belongs in
`channels.db.database_sync_to_async`, which closes them around each call.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

from chanx import conf
from chanx.core import sync
from chanx.core.asgi import serve
from chanx.core.consumer import BaseConsumer, EventT

__all__ = ["AsyncJsonWebsocketConsumer", "reload_consumer_settings"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class AsyncJsonWebsocketConsumer(BaseConsumer[EventT], abstract=True):
    """Base class of chanx consumers on Django Channels (see `BaseConsumer` for attributes).

    Attributes left unset take their value from ``settings.CHANX`` (then `chanx.configure()`
    and the defaults). ``self.scope["url_route"]["kwargs"]`` holds the URL kwargs, as with
    any Channels consumer; they are also in ``self.scope["path_params"]``, as on Starlette.
    """

    def __init__(self, **initkwargs: Any) -> None:
        super().__init__()
        self._initkwargs = initkwargs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one WebSocket connection (the ASGI application interface)."""
        if scope["type"] != "websocket":
            raise RuntimeError(
                f"{type(self).__qualname__} serves WebSocket connections; it got an ASGI "
                f"{scope['type']!r} scope. Route it under ProtocolTypeRouter's 'websocket'."
            )
        if "path_params" not in scope:
            scope = dict(scope, path_params=dict(scope.get("url_route", {}).get("kwargs", {})))
        self.scope = scope
        self.apply_overrides(self._initkwargs)
        await serve(self, receive, _unwrap_session_send(send))

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:
        """An ASGI application for Channels' routing; each connection gets an instance.

        Args:
            **initkwargs: Class attributes to override for connections of this route
                (for example `send_completion=True`). Unknown or plan-shaping names are an
                error.
        """
        cls.check_overrides(initkwargs)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await cls(**initkwargs)(scope, receive, send)

        app.consumer_class = cls  # type: ignore[attr-defined]
        app.consumer_initkwargs = initkwargs  # type: ignore[attr-defined]
        app.__name__ = app.__qualname__ = cls.__name__
        app.__doc__ = cls.__doc__
        return app

    @classmethod
    def get_channel_layer(cls) -> Any:
        """Channels' layer for `channel_layer_alias` (from ``settings.CHANNEL_LAYERS``)."""
        if cls.channel_layer_alias is None:
            return None
        from channels.layers import get_channel_layer

        return get_channel_layer(cls.channel_layer_alias)

    @classmethod
    def _run_sync(cls, make: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run an event coroutine from sync Django code, on the loop that can deliver it.

        Inside Django's sync code running under ASGI (a view, anything in `sync_to_async`),
        asgiref's `async_to_sync` runs it on the server's loop. From another thread of a
        process whose loop serves connections, chanx hands it to that loop. Elsewhere (a
        management command, a task worker) `async_to_sync` runs it on a loop of its own.
        """
        sync.refuse_inside_event_loop()
        if sync.serving_loop() is not None and not _inside_sync_to_async():
            sync.run_sync(make)
            return
        from asgiref.sync import async_to_sync

        async def call() -> None:
            await make()

        async_to_sync(call)()


def _unwrap_session_send(send: Send) -> Send:
    """The server's `send` from under Channels' ``SessionMiddleware`` wrappers, when inert.

    ``SessionMiddleware`` (in ``AuthMiddlewareStack``) wraps `send` to save the session and
    set its cookie on HTTP responses; for WebSocket messages the wrapper only reads the
    session's state and passes the message on, a coroutine and two lazy-object lookups per
    frame. A wrapper that acts on ``http.*`` messages only is skipped; any other `send`
    (another middleware's, or a future wrapper that acts on WebSocket messages) is kept.
    """
    from channels import sessions

    session_wrapper: Any = sessions.InstanceSessionWrapper
    while True:
        wrapper: Any = getattr(send, "__self__", None)
        if (
            type(wrapper) is not session_wrapper
            or getattr(send, "__func__", None) is not session_wrapper.send
        ):
            return send
        acts_on = {*wrapper.save_message_types, *wrapper.cookie_response_message_types}
        if not all(kind.startswith("http.") for kind in acts_on):
            return send
        send = wrapper.real_send


def _inside_sync_to_async() -> bool:
    """Whether this thread runs sync code for asgiref's `sync_to_async` (Django under ASGI)."""
    from asgiref.sync import SyncToAsync

    local = SyncToAsync.threadlocal
    return (
        getattr(local, "main_event_loop", None) is not None
        and getattr(local, "main_event_loop_pid", None) == os.getpid()
    )


def reload_consumer_settings(**signal: Any) -> None:
    """Re-read ``settings.CHANX`` into the settings store (Django's ``setting_changed``).

    Consumer plans that depend on a changed setting (``CAMELIZE``, ``DISCRIMINATOR_FIELD``)
    are rebuilt at their next connection.
    """
    if signal.get("setting", "CHANX") == "CHANX":
        conf.refresh()


def _listen_for_setting_changes() -> None:
    from django.core.signals import setting_changed

    setting_changed.connect(
        reload_consumer_settings, weak=False, dispatch_uid="chanx.channels.settings"
    )


_listen_for_setting_changes()
