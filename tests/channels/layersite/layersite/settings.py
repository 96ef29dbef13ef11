"""``LAYERSITE_BACKEND`` = ``memory`` (chanx.layers.InMemoryChannelLayer) or ``redis``."""

import os

SECRET_KEY = "layer-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "daphne",
    "channels",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "chanx.channels",
    "layersite",
]
ROOT_URLCONF = "layersite.urls"
ASGI_APPLICATION = "layersite.asgi.application"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
CHANX = {"ALLOWED_ORIGINS": ["*"]}

if os.environ.get("LAYERSITE_BACKEND", "memory") == "redis":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chanx_layer_redis.RedisChannelLayer",
            "CONFIG": {
                "url": os.environ.get("LAYERSITE_REDIS_URL", "redis://127.0.0.1:6379/0"),
                "prefix": os.environ["LAYERSITE_PREFIX"],
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chanx.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 50, "expiry": 30},
        }
    }
