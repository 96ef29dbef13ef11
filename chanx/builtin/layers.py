"""Builtin layers: `memory`, the in-process channel layer every new project starts with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import LayerFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_layers(registry: ComponentRegistry[LayerFactory]) -> None:
    """Register `memory` (`chanx.layers.memory.InMemoryChannelLayer`)."""
    registry.add("memory", "chanx.layers.memory:InMemoryChannelLayer")
