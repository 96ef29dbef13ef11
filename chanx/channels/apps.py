"""The ``chanx.channels`` Django app: system checks and plugin switches from ``CHANX``."""

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

__all__ = ["ChanxConfig"]


class ChanxConfig(AppConfig):
    """Registers chanx's system checks and applies the plugin switches in ``CHANX``."""

    name = "chanx.channels"
    label = "chanx_channels"
    verbose_name = "chanx"

    def ready(self) -> None:
        """Register the checks and apply the plugin switches from ``CHANX``."""
        from chanx.channels.checks import (
            check_camelize_plugin,
            check_channel_layer_backends,
            check_channel_layers,
            check_chanx_settings,
        )

        checks.register(check_chanx_settings, "chanx")
        checks.register(check_camelize_plugin, "chanx")
        checks.register(check_channel_layers, "chanx")
        checks.register(check_channel_layer_backends, "chanx")
        apply_plugin_switches()


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
