"""The ``chanx.channels`` Django app: system checks, plugin switches, settings reloads."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed

__all__ = ["ChanxConfig"]


class ChanxConfig(AppConfig):
    """Registers chanx's system checks and rebuilds consumer plans when ``CHANX`` changes."""

    name = "chanx.channels"
    label = "chanx_channels"
    verbose_name = "chanx"

    def ready(self) -> None:
        """Register checks, apply plugin switches from ``CHANX``, listen for setting changes."""
        from chanx.channels.checks import check_camelize_plugin, check_chanx_settings

        checks.register(check_chanx_settings, "chanx")
        checks.register(check_camelize_plugin, "chanx")
        apply_plugin_switches()
        setting_changed.connect(_on_setting_changed, dispatch_uid="chanx.channels.settings")


def apply_plugin_switches() -> None:
    """Rebuild the plugin host with the ``CHANX_*`` switches from ``settings.CHANX``, if any.

    The environment's switches apply too; a key in ``settings.CHANX`` wins over the environment.
    """
    import os

    from chanx.channels.settings import plugin_switches
    from chanx.kernel import PluginSettings, reset_plugin_host

    switches = plugin_switches()
    if switches:
        reset_plugin_host(PluginSettings.from_mapping({**os.environ, **switches}))


def _on_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting == "CHANX":
        from chanx.channels.websocket import reload_consumer_settings

        reload_consumer_settings()
