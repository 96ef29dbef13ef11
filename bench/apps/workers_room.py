"""The fan-out room (`chanx_fanout`) on chanx's Redis layer, for several uvicorn workers.

``BENCH_REDIS_URL`` and ``BENCH_PREFIX`` say where; every worker process imports this module
and gets its own layer. ``BENCH_PROFILE=DIR`` profiles each worker (cProfile) into
``DIR/<pid>.prof`` when it exits.
"""

from __future__ import annotations

import os

import workers_profile
from chanx_fanout import FanoutConsumer
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.fast_channels.lifespan import with_lifespan
from chanx.layers import configure_layers

workers_profile.start()
configure_layers(
    {
        "default": {
            "BACKEND": "redis",
            "CONFIG": {
                "url": os.environ["BENCH_REDIS_URL"],
                "prefix": os.environ["BENCH_PREFIX"],
                "capacity": 1000,
            },
        }
    }
)
app = Starlette(
    routes=[WebSocketRoute("/ws", FanoutConsumer.as_asgi())],
    lifespan=with_lifespan(workers_profile.lifespan),
)
