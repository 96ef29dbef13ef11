"""Redis channel layer for chanx: one publish per group send, local fan-out from memory.

Install with ``pip install --no-index --find-links dist "chanx[redis]"`` and select it with
``"BACKEND": "redis"`` (Starlette/FastAPI) or
``"BACKEND": "chanx_layer_redis.RedisChannelLayer"`` (Django Channels).
"""

from __future__ import annotations

from chanx_layer_redis.layer import RedisChannelLayer
from chanx_layer_redis.stats import RedisLayerStats, RedisUnavailable

__all__ = ["RedisChannelLayer", "RedisLayerStats", "RedisUnavailable"]
