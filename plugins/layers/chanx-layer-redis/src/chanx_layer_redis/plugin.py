"""chanx plugin entry point: registers the ``redis`` channel layer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel.contracts import LayerFactory
    from chanx.kernel.registry import ComponentRegistry


@hookimpl
def chanx_register_layers(registry: ComponentRegistry[LayerFactory]) -> None:
    """Register `redis` (`chanx_layer_redis.RedisChannelLayer`); redis-py loads on use."""
    registry.add("redis", "chanx_layer_redis.layer:RedisChannelLayer")
