"""The suite's Django consumers as an ASGI application for a daphne process.

Run by `test_daphne.py` as ``daphne daphne_app:application`` from this directory, with the
example Django project on ``sys.path``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, ClassVar, Literal

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_chat"
sys.path.insert(0, str(EXAMPLE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chat_project.settings")

import django  # noqa: E402

django.setup()

from channels.routing import URLRouter  # noqa: E402

from chanx.channels.routing import path  # noqa: E402
from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator  # noqa: E402
from chanx.core.decorators import ws_handler  # noqa: E402
from chanx.messages.base import BaseMessage  # noqa: E402


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"
    payload: Any = None


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"
    payload: Any = None


class TokenAuth(BaseAuthenticator):
    async def authenticate(self) -> bool:
        token = self.get_query_param("token") or ""
        if token.startswith("expired"):
            raise AuthenticationFailed(4401, "token expired")
        return token.startswith("good-")


class CookieSession(BaseAuthenticator):
    uses_cookies = True

    async def authenticate(self) -> bool:
        return "session" in self.cookies


class Open(AsyncJsonWebsocketConsumer):
    groups: ClassVar[list[str]] = []

    @ws_handler
    async def handle_ping(self, message: Ping) -> Pong:
        return Pong(payload=message.payload)


class Token(Open):
    authenticator_class = TokenAuth


class Cookie(Open):
    authenticator_class = CookieSession


class Limited(Open):
    max_frame_bytes = 1000


application = URLRouter(
    [
        path("ws/open", Open.as_asgi()),
        path("ws/token", Token.as_asgi()),
        path("ws/cookie", Cookie.as_asgi()),
        path("ws/limited", Limited.as_asgi()),
    ]
)
