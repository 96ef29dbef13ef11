"""Django settings for the Django benchmark apps, configured in code from the environment.

``BENCH_DJANGO_LAYER`` picks the ``CHANNEL_LAYERS["default"]`` backend:

- ``channels-memory``: Channels' own ``channels.layers.InMemoryChannelLayer``;
- ``chanx-memory`` (default): ``chanx.layers.InMemoryChannelLayer``;
- ``chanx-redis``: ``chanx_layer_redis.RedisChannelLayer`` at ``BENCH_REDIS_URL`` (default
  ``redis://127.0.0.1:6379/0``) under the key prefix ``BENCH_PREFIX``.

Every layer gets a capacity of 1,000, as the Starlette fan-out benchmarks give theirs.
"""

from __future__ import annotations

import os
from typing import Any

BACKENDS = {
    "channels-memory": "channels.layers.InMemoryChannelLayer",
    "chanx-memory": "chanx.layers.InMemoryChannelLayer",
    "chanx-redis": "chanx_layer_redis.RedisChannelLayer",
}


def channel_layers() -> dict[str, Any]:
    """The ``CHANNEL_LAYERS`` setting the environment asks for."""
    kind = os.environ.get("BENCH_DJANGO_LAYER", "chanx-memory")
    config: dict[str, Any] = {"capacity": 1000}
    if kind == "chanx-redis":
        config["url"] = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
        config["prefix"] = os.environ.get("BENCH_PREFIX", "bench-django")
    return {"default": {"BACKEND": BACKENDS[kind], "CONFIG": config}}


def setup() -> None:
    """Configure Django as a small project would: auth, sessions, chanx's app."""
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        SECRET_KEY="bench-only",
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "chanx.channels",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CHANNEL_LAYERS=channel_layers(),
        USE_TZ=True,
    )
    django.setup()
