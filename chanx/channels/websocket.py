"""`AsyncJsonWebsocketConsumer` for Django Channels.

Mount consumers as Channels users expect::

    application = ProtocolTypeRouter({
        "websocket": AuthMiddlewareStack(URLRouter([
            path("ws/chat/<int:pk>/", ChatConsumer.as_asgi()),
        ])),
    })

The consumer is the same compiled plan and runtime as on Starlette: routing, replies, events,
passthrough, completion signals and errors all come from `chanx.core.consumer`, and the ASGI
serving loop (in-order client frames that never block layer events, cancellation at
disconnect) is the generic one in `chanx.fast_channels.websocket`. What this module adds is
what Django needs: Channels-style construction (`as_asgi(**initkwargs)`, scope set on call),
Channels' own ``CHANNEL_LAYERS`` (`channels.layers.get_channel_layer`), defaults from
``settings.CHANX``, and sync event twins built on asgiref's `async_to_sync`.

Unlike Channels' own consumers, no thread-pool hop is made per message (Channels closes
stale database connections before every message); database work belongs in
`channels.db.database_sync_to_async`, which closes them around each call.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from typing import Any

from chanx.core import sync
from chanx.core.consumer import EventT
from chanx.core.plan import compile_plan
from chanx.core.resolve import resolve_authenticator, resolve_formatters
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer as _AsgiConsumer

__all__ = ["AsyncJsonWebsocketConsumer", "reload_consumer_settings"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_FROM_SETTINGS = "__chanx_from_settings__"
_GENERATION = "__chanx_settings_generation__"
_consumers: list[weakref.ref[type[Any]]] = []
_generation = 0


class AsyncJsonWebsocketConsumer(_AsgiConsumer[EventT], abstract=True):
    """Base class of chanx consumers on Django Channels (see `BaseConsumer` for attributes).

    Class attributes not set on a consumer (or its mixins) take their default from
    ``settings.CHANX``. ``self.scope["url_route"]["kwargs"]`` holds the URL kwargs, as with
    any Channels consumer; they are also in ``self.scope["path_params"]``, as on Starlette.
    """

    def __init__(self, **initkwargs: Any) -> None:
        self._initkwargs = initkwargs

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        if not abstract:
            _apply_settings(cls)
        super().__init_subclass__(abstract=abstract, **kwargs)
        if not abstract:
            setattr(cls, _GENERATION, _generation if _settings_ready() else -1)
            _consumers.append(weakref.ref(cls))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one WebSocket connection (the ASGI application interface)."""
        if scope["type"] != "websocket":
            raise RuntimeError(
                f"{type(self).__qualname__} serves WebSocket connections; it got an ASGI "
                f"{scope['type']!r} scope. Route it under ProtocolTypeRouter's 'websocket'."
            )
        cls = type(self)
        if cls.__dict__.get(_GENERATION) != _generation:
            _refresh(cls)
        if "path_params" not in scope:
            scope = dict(scope, path_params=dict(scope.get("url_route", {}).get("kwargs", {})))
        self._init_connection(scope)
        for key, value in self._initkwargs.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)
        self._receive = receive
        self._send = send
        await self._serve()

    @classmethod
    def as_asgi(cls, **initkwargs: Any) -> Any:
        """An ASGI application for Channels' routing; each connection gets an instance.

        Args:
            **initkwargs: Class attributes to override for connections of this route
                (for example `send_completion=True`). Unknown or plan-shaping names are an
                error.
        """
        super().as_asgi(**initkwargs)  # validates the overrides

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


def _inside_sync_to_async() -> bool:
    """Whether this thread runs sync code for asgiref's `sync_to_async` (Django under ASGI)."""
    from asgiref.sync import SyncToAsync

    local = SyncToAsync.threadlocal
    return (
        getattr(local, "main_event_loop", None) is not None
        and getattr(local, "main_event_loop_pid", None) == os.getpid()
    )


def reload_consumer_settings(**signal: Any) -> None:
    """Re-read ``settings.CHANX`` into every Django consumer class and rebuild their plans.

    Called when the setting changes (Django's ``setting_changed`` signal, e.g.
    ``override_settings``), whether or not ``chanx.channels`` is in ``INSTALLED_APPS``.
    """
    if signal.get("setting", "CHANX") != "CHANX":
        return
    global _generation
    _generation += 1
    for ref in list(_consumers):
        cls = ref()
        if cls is None:
            _consumers.remove(ref)
            continue
        with contextlib.suppress(Exception):  # e.g. a plugin it names is gone: it stays
            _refresh(cls)  # stale, and the next connection retries and raises


def _refresh(cls: type[Any]) -> None:
    """Apply the current settings to `cls` and recompile its plan."""
    from chanx.kernel import get_plugin_host

    setattr(cls, _GENERATION, -1)  # stale until its plan is rebuilt
    for klass in reversed(cls.__mro__[1:]):
        if _GENERATION in klass.__dict__ and klass.__dict__[_GENERATION] != _generation:
            _refresh(klass)
    _apply_settings(cls)
    host = get_plugin_host()
    cls.__chanx_plan__ = compile_plan(
        cls, resolve_formatters(cls, host), resolve_authenticator(cls, host)
    )
    setattr(cls, _GENERATION, _generation)


def _apply_settings(cls: type[Any]) -> None:
    """Set on `cls` each ``CHANX`` default that no user class in its MRO sets itself."""
    from chanx.channels.settings import consumer_defaults

    for attribute in cls.__dict__.get(_FROM_SETTINGS, ()):
        delattr(cls, attribute)
    applied = []
    for attribute, value in consumer_defaults().items():
        if not _set_by_user(cls, attribute):
            setattr(cls, attribute, value)
            applied.append(attribute)
    setattr(cls, _FROM_SETTINGS, tuple(applied))


def _set_by_user(cls: type[Any], attribute: str) -> bool:
    for klass in cls.__mro__:
        if klass is AsyncJsonWebsocketConsumer:
            return False
        if attribute in klass.__dict__ and attribute not in klass.__dict__.get(_FROM_SETTINGS, ()):
            return True
    return False


def _settings_ready() -> bool:
    from django.conf import settings

    return bool(settings.configured)


def _listen_for_setting_changes() -> None:
    from django.core.signals import setting_changed

    setting_changed.connect(
        reload_consumer_settings, weak=False, dispatch_uid="chanx.channels.settings"
    )


_listen_for_setting_changes()
