"""Django system checks for chanx (run by ``manage.py check`` and at server start)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from chanx.channels.settings import check_chanx_setting, consumer_defaults
from chanx.kernel.install import install_hint

__all__ = ["check_camelize_plugin", "check_chanx_settings"]


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
