"""The plugin kernel: the one place in chanx that knows pluggy.

Plugins implement hooks from `chanx.kernel.hookspecs` with `@hookimpl` and are found through
entry points of group `chanx`. `get_plugin_host()` builds the host on first use; importing
this package scans nothing.
"""

from __future__ import annotations

import pluggy

from chanx.kernel.errors import (
    ComponentNotFoundError,
    DuplicateComponentError,
    PluginError,
    PluginLoadError,
)
from chanx.kernel.host import PluginHost, get_plugin_host, reset_plugin_host
from chanx.kernel.records import PluginRecord, PluginSettings, PluginStatus
from chanx.kernel.registry import ComponentRegistry

__all__ = [
    "ComponentNotFoundError",
    "ComponentRegistry",
    "DuplicateComponentError",
    "PluginError",
    "PluginHost",
    "PluginLoadError",
    "PluginRecord",
    "PluginSettings",
    "PluginStatus",
    "get_plugin_host",
    "hookimpl",
    "reset_plugin_host",
]

hookimpl = pluggy.HookimplMarker("chanx")
"""Marks a function in a plugin module as the implementation of the chanx hook it is named after."""
