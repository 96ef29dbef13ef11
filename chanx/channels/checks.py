"""Django system checks for chanx (run by ``manage.py check`` and at server start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from chanx.channels.settings import check_chanx_setting, consumer_defaults
from chanx.kernel.install import install_hint

__all__ = ["check_camelize_plugin", "check_channel_layers", "check_chanx_settings"]


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
                    f'"channels.layers.InMemoryChannelLayer"}}}} (one process) or a Redis '
                    f"layer, or set channel_layer_alias = None on the consumer."
                ),
                obj=consumer,
                id="chanx.E004",
            )
        )
    return problems


def _consumers() -> list[type[Any]]:
    from chanx.channels.websocket import AsyncJsonWebsocketConsumer

    path = getattr(settings, "ASGI_APPLICATION", None)
    if path:
        from django.utils.module_loading import import_string

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
