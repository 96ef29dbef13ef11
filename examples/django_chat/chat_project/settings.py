"""Settings of the chat example (SQLite, in-memory channel layer, DRF session/token auth)."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "::1", "testserver"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "chanx.channels",
    "chat",
]
try:
    import rest_framework  # noqa: F401
except ImportError:  # chanx's own test suite also runs this project without DRF installed
    INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("rest_framework")]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "chat_project.urls"
ASGI_APPLICATION = "chat_project.asgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("CHAT_DATABASE", str(BASE_DIR / "db.sqlite3")),
    }
}

CHANNEL_LAYERS = {
    # Channels' own in-memory layer works as well: "channels.layers.InMemoryChannelLayer".
    "default": {"BACKEND": "chanx.layers.memory.InMemoryChannelLayer"},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
}

CHANX = {
    "SEND_COMPLETION": os.environ.get("CHAT_SEND_COMPLETION", "") == "1",
    "LOG_IGNORED_ACTIONS": ["ping", "pong"],
}

USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
