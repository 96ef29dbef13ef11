"""`TokenAuthenticator` passes `AuthenticatorContract` on the Starlette and the Django adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from channels.routing import URLRouter
from chanx_auth_token import TokenAuthenticator
from chanx_auth_token.testing import make_token
from django.urls import path
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.channels.websocket import AsyncJsonWebsocketConsumer as DjangoConsumer
from chanx.core.authenticator import AuthenticationFailed
from chanx.core.close_codes import CloseCode
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer as StarletteConsumer
from chanx.testing.authenticator_contract import AuthenticatorContract
from chanx.testing.communicator import WebsocketCommunicator
from chanx.testing.django import WebsocketCommunicator as DjangoCommunicator

SECRET = "contract-hmac-secret-of-32-bytes-at-least"
ROOMS = {"1": {"ann"}}


class RoomTokenAuthenticator(TokenAuthenticator):
    """A member of the room in the path: 4403 for others, 4404 for a missing room."""

    key = SECRET

    async def get_user(self, claims: Mapping[str, Any]) -> Any:
        members = ROOMS.get(str(self.scope["path_params"].get("room")))
        if members is None:
            raise AuthenticationFailed(CloseCode.NOT_FOUND, "no such room")
        if claims["sub"] not in members:
            raise AuthenticationFailed(CloseCode.FORBIDDEN, "not a member")
        return {"name": claims["sub"]}


DAY = 86400.0  # made at import: they must outlive a long test run

TOKENS = {
    "accepted": ("1", make_token("ann", SECRET, lifetime=DAY)),
    "unauthenticated": ("1", ""),
    "forbidden": ("1", make_token("mallory", SECRET, lifetime=DAY)),
    "not_found": ("404", make_token("ann", SECRET, lifetime=DAY)),
    "malformed": ("1", "not-a.jwt"),
}


class TestStarletteTokenContract(AuthenticatorContract):
    authenticator_class = RoomTokenAuthenticator
    consumer_base = StarletteConsumer
    malformed_close_code = CloseCode.UNAUTHENTICATED

    def mount(self, consumer: Any) -> Any:
        return Starlette(routes=[WebSocketRoute("/ws/{room}", consumer.as_asgi())])

    async def open(self, app: Any, case: str) -> Any:
        room, token = TOKENS[case]
        return WebsocketCommunicator(app, f"/ws/{room}?token={token}")


class TestDjangoTokenContract(AuthenticatorContract):
    authenticator_class = RoomTokenAuthenticator
    consumer_base = DjangoConsumer
    malformed_close_code = CloseCode.UNAUTHENTICATED

    def mount(self, consumer: Any) -> Any:
        return URLRouter([path("ws/<room>/", consumer.as_asgi())])

    async def open(self, app: Any, case: str) -> Any:
        room, token = TOKENS[case]
        headers = [("authorization", f"Bearer {token}")] if token else []
        return DjangoCommunicator(app, f"/ws/{room}/", headers=headers)
