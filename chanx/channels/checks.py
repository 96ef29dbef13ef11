"""Django system checks for chanx (run by ``manage.py check`` and at server start)."""

from __future__ import annotations

import inspect
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from chanx.channels.settings import check_chanx_setting, consumer_defaults
from chanx.kernel.install import install_hint

__all__ = [
    "check_camelize_plugin",
    "check_channel_layer_backends",
    "check_channel_layers",
    "check_chanx_settings",
]


def check_chanx_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``chanx.E001``-``E003``: ``settings.CHANX`` is a dict of known keys and valid values."""
    if not hasattr(settings, "CHANX"):
        return []
    return [
        Error(message, hint=hint, id=check_id)
        for check_id, message, hint in check_chanx_setting(settings.CHANX)
    ]


def check_camelize_plugin(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``chanx.W001``: ``CAMELIZE`` is on but no formatter named ``camelize`` is installed."""
    if not consumer_defaults().get("camelize"):
        return []
    from chanx.kernel import get_plugin_host

    if "camelize" in get_plugin_host().formatters.names():
        return []
    return [
        Warning(
            'settings.CHANX["CAMELIZE"] is True, but no formatter named "camelize" is installed.',
            hint=install_hint("camelize"),
            id="chanx.W001",
        )
    ]


def check_channel_layers(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``chanx.E004``: a routed consumer needs a channel layer that ``CHANNEL_LAYERS`` lacks.

    A consumer needs its layer when it joins groups or handles events. The consumers are
    the ones ``settings.ASGI_APPLICATION`` routes (imported here, as Channels' ``runserver``
    does); without that setting, the chanx consumer classes imported so far.
    """
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    problems: list[CheckMessage] = []
    for consumer in _consumers():
        alias = consumer.channel_layer_alias
        if alias is None or alias in layers:
            continue
        plan = consumer.current_plan()
        needs = [f"groups {list(consumer.groups)!r}"] if consumer.groups else []
        if plan.event_routes:
            needs.append(f"event handlers ({', '.join(sorted(plan.event_routes))})")
        if not needs:
            continue
        problems.append(
            Error(
                f"{consumer.__module__}.{consumer.__qualname__} needs the channel layer "
                f"{alias!r} for its {' and '.join(needs)}, but settings.CHANNEL_LAYERS has "
                f"no {alias!r} entry. Its connections would join no groups and receive no "
                f"events.",
                hint=(
                    f'Add CHANNEL_LAYERS = {{"{alias}": {{"BACKEND": '
                    f'"chanx.layers.InMemoryChannelLayer"}}}} (one process) or '
                    f'"chanx_layer_redis.RedisChannelLayer", or set channel_layer_alias = '
                    f"None on the consumer."
                ),
                obj=consumer,
                id="chanx.E004",
            )
        )
    return problems


def check_channel_layer_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``chanx.E005``/``E006``: each ``CHANNEL_LAYERS`` entry can be built as Channels will.

    Channels imports a ``BACKEND`` and calls it with ``CONFIG`` only at the first connection
    that needs the layer. ``E005``: the ``BACKEND`` does not import (a chanx layer name such
    as ``"redis"`` works in chanx's own settings, not in Channels'). ``E006``: ``CONFIG``
    has keys that a chanx layer's constructor does not take (a channels_redis option, a typo).
    """
    layers = getattr(settings, "CHANNEL_LAYERS", None) or {}
    problems: list[CheckMessage] = []
    for alias, entry in layers.items() if isinstance(layers, dict) else ():
        backend = entry.get("BACKEND") if isinstance(entry, dict) else None
        if not isinstance(backend, str):
            continue  # Channels' own error names a missing BACKEND
        try:
            factory = import_string(backend)
        except ImportError as exc:
            problems.append(
                Error(
                    f"CHANNEL_LAYERS[{alias!r}]['BACKEND'] = {backend!r} cannot be imported "
                    f"({exc}); Channels would fail at the first connection that uses it.",
                    hint=_backend_hint(backend),
                    id="chanx.E005",
                )
            )
            continue
        unknown = _unknown_options(factory, entry.get("CONFIG") or {})
        if unknown:
            problems.append(
                Error(
                    f"CHANNEL_LAYERS[{alias!r}]['CONFIG'] has option(s) {unknown} that "
                    f"{backend} does not take.",
                    hint=f"Its options are: {', '.join(_options(factory))}.",
                    id="chanx.E006",
                )
            )
    return problems


def _backend_hint(backend: str) -> str:
    """Point a chanx layer name (or a near miss of one) at its import path."""
    from chanx.kernel import get_plugin_host

    registry = get_plugin_host().layers
    names = registry.names()
    name = backend.rsplit(".", 1)[-1].lower()
    match = backend if backend in names else next((n for n in names if n in name), None)
    if match is None:
        return (
            "Give the dotted path of a channel layer class, e.g. "
            '"chanx.layers.InMemoryChannelLayer"; check the module is installed.'
        )
    factory = registry.get(match)
    path = f"{factory.__module__}.{getattr(factory, '__qualname__', factory)}"
    return f'Channels needs an import path: "BACKEND": "{path}" (chanx\'s {match!r} layer).'


def _options(factory: Any) -> list[str]:
    """The keyword parameters a chanx layer class takes."""
    parameters = inspect.signature(factory).parameters.values()
    return [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _unknown_options(factory: Any, config: Any) -> list[str]:
    """CONFIG keys a chanx layer class does not accept (other layers are not judged)."""
    from chanx.layers.base import BaseChannelLayer

    if not (isinstance(factory, type) and issubclass(factory, BaseChannelLayer)):
        return []
    if not isinstance(config, dict):
        return []
    parameters = inspect.signature(factory).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return []
    return sorted(set(map(str, config)) - set(_options(factory)))


def _consumers() -> list[type[Any]]:
    from chanx.channels.websocket import AsyncJsonWebsocketConsumer

    path = getattr(settings, "ASGI_APPLICATION", None)
    if path:
        from chanx.asyncapi.discover import routed_consumers

        try:
            application = import_string(path)
        except Exception:  # Channels' own startup reports a broken ASGI_APPLICATION
            application = None
        if application is not None:
            found = [r.consumer_class for r in routed_consumers(application)]
            return list(
                dict.fromkeys(c for c in found if issubclass(c, AsyncJsonWebsocketConsumer))
            )
    seen: list[type[Any]] = []
    pending = list(AsyncJsonWebsocketConsumer.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls not in seen:
            seen.append(cls)
            pending.extend(cls.__subclasses__())
    return [c for c in seen if "__chanx_plan__" in c.__dict__]
