"""Redis channel layer for chanx: one publish per group send, local fan-out from memory.

Install with ``pip install --no-index --find-links dist "chanx[redis]"`` and select it with
``"BACKEND": "redis"`` (Starlette/FastAPI) or
``"BACKEND": "chanx_layer_redis.RedisChannelLayer"`` (Django Channels).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_layer_redis.layer import RedisChannelLayer
    from chanx_layer_redis.stats import RedisLayerStats, RedisUnavailable

__all__ = ["RedisChannelLayer", "RedisLayerStats", "RedisUnavailable"]

_HOMES = {
    "RedisChannelLayer": "chanx_layer_redis.layer",
    "RedisLayerStats": "chanx_layer_redis.stats",
    "RedisUnavailable": "chanx_layer_redis.stats",
}


def __getattr__(name: str) -> Any:
    """Import on first use: redis-py loads only in a process that uses the layer."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chanx_layer_redis' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
