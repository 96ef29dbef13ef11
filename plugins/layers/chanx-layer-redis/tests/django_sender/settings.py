"""Django settings of a project whose management command sends events to the uvicorn room.

Channels' ``CHANNEL_LAYERS`` selects chanx's Redis layer by class path, configured from the
same environment variables as `twoproc_app`.
"""

from __future__ import annotations

import os

SECRET_KEY = "test-only"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = ["channels", "django_sender"]
DATABASES: dict[str, dict[str, str]] = {}
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "chanx_layer_redis.RedisChannelLayer",
        "CONFIG": {
            "url": os.environ["CHANX_TEST_REDIS_URL"],
            "prefix": os.environ["CHANX_TEST_PREFIX"],
        },
    }
}
