"""A Django site for the ops tests: no CHANNEL_LAYERS unless OPS_LAYERS=1 (in-memory) or
OPS_LAYERS=redis (chanx's Redis layer at OPS_REDIS_URL, keys under OPS_PREFIX)."""

import os

SECRET_KEY = "ops-tests-only"
DEBUG = os.environ.get("OPS_DEBUG", "") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["daphne", "django.contrib.contenttypes", "chanx.channels"]
ROOT_URLCONF = "opsite.urls"
ASGI_APPLICATION = "opsite.asgi.application"
DATABASES: dict[str, object] = {}
USE_TZ = True
if os.environ.get("OPS_LAYERS") == "1":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
elif os.environ.get("OPS_LAYERS") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chanx_layer_redis.RedisChannelLayer",
            "CONFIG": {"url": os.environ["OPS_REDIS_URL"], "prefix": os.environ["OPS_PREFIX"]},
        }
    }
