"""`DjangoAuthenticator`: DRF permissions, authentication classes and object lookup."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission, IsAuthenticated

from chanx.channels.authenticator import DjangoAuthenticator
from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.close_codes import CloseCode
from chanx.kernel import get_plugin_host
from chanx.kernel.install import install_hint
from chanx.testing.authenticator_contract import AuthenticatorContract
from chanx.testing.django import WebsocketCommunicator, token_header


def room_authenticator() -> type[DjangoAuthenticator]:
    from chat.consumers import RoomAuthenticator

    return RoomAuthenticator


class Explodes(BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        raise RuntimeError("contract-secret-detail")


class TestRoomAuthenticatorContract(AuthenticatorContract):
    """The example's room authenticator: IsAuthenticated, a room queryset, membership."""

    consumer_base = AsyncJsonWebsocketConsumer

    @pytest.fixture(autouse=True)
    def _data(self, alice: Any, bob: Any, room: Any, token_of: Any) -> None:
        self.authenticator_class = room_authenticator()  # type: ignore[misc]
        self.alice, self.bob, self.room = alice, bob, room
        self.bob_token = token_of(bob)

    def mount(self, consumer: Any) -> Any:
        return AuthMiddlewareStack(URLRouter([path("ws/rooms/<pk>/", consumer.as_asgi())]))

    async def open(self, app: Any, case: str) -> Any:
        room = self.room.pk
        if case == "accepted":
            return WebsocketCommunicator(app, f"/ws/rooms/{room}/", user=self.alice)
        if case == "unauthenticated":
            return WebsocketCommunicator(app, f"/ws/rooms/{room}/")
        if case == "forbidden":
            headers = [token_header(self.bob_token)]
            return WebsocketCommunicator(app, f"/ws/rooms/{room}/", headers=headers)
        if case == "not_found":
            return WebsocketCommunicator(app, "/ws/rooms/999999/", user=self.alice)
        return WebsocketCommunicator(app, "/ws/rooms/not-a-number/", user=self.alice)

    def raising_authenticator(self) -> Any:
        class Raising(self.authenticator_class):  # type: ignore[name-defined, misc]
            permission_classes = [Explodes]

        return Raising


class Rooms(AsyncJsonWebsocketConsumer):
    send_completion = True
    send_authentication_message = True

    @classmethod
    def guarded_by(cls, authenticator: Any) -> Any:
        return type("Guarded", (cls,), {"authenticator_class": authenticator})


def app_for(consumer: Any, route: str = "ws/rooms/<int:pk>/", stack: bool = True) -> Any:
    router = URLRouter([path(route, consumer.as_asgi())])
    return AuthMiddlewareStack(router) if stack else router


async def test_token_header_authenticates_and_exposes_user_and_obj(
    alice: Any, room: Any, token_of: Any
) -> None:
    seen: list[Any] = []

    class TokenOnly(DjangoAuthenticator):
        authentication_classes = [TokenAuthentication]
        permission_classes = [IsAuthenticated]
        queryset = room.__class__.objects.all()

    class C(Rooms):
        authenticator_class = TokenOnly

        async def post_authentication(self) -> None:
            seen.append((self.authenticator.user.pk, self.authenticator.obj.pk, self.user.pk))

    headers = [token_header(await _async(token_of, alice))]
    async with WebsocketCommunicator(app_for(C), f"/ws/rooms/{room.pk}/", headers) as ws:
        frame = await ws.receive_json()
        assert frame["payload"]["status_code"] == 200
    assert seen == [(alice.pk, room.pk, alice.pk)]


async def test_a_bad_token_is_4401_with_drf_detail_in_the_frame(room: Any) -> None:
    class TokenOnly(DjangoAuthenticator):
        authentication_classes = [TokenAuthentication]
        permission_classes = [IsAuthenticated]

    client = WebsocketCommunicator(
        app_for(Rooms.guarded_by(TokenOnly)), f"/ws/rooms/{room.pk}/", [token_header("nope")]
    )
    await client.connect()
    frame = await client.receive_json()
    assert frame["payload"] == {"status_code": 401, "status_text": "Invalid token.", "data": None}
    await client.assert_closed(CloseCode.UNAUTHENTICATED)
    await client.disconnect()


async def test_session_cookie_works_without_auth_middleware(alice: Any, room: Any) -> None:
    app = app_for(Rooms.guarded_by(room_authenticator()), stack=False)
    async with WebsocketCommunicator(app, f"/ws/rooms/{room.pk}/", user=alice) as ws:
        assert (await ws.receive_json())["payload"]["status_code"] == 200


async def test_default_permissions_allow_anonymous_access() -> None:
    class Open(DjangoAuthenticator):
        pass

    app = app_for(Rooms.guarded_by(Open), route="ws/open/")
    async with WebsocketCommunicator(app, "/ws/open/") as ws:
        assert (await ws.receive_json())["payload"]["status_code"] == 200


async def test_a_missing_url_kwarg_is_an_internal_error(room: Any, alice: Any) -> None:
    class Lookup(DjangoAuthenticator):
        queryset = room.__class__.objects.all()
        lookup_url_kwarg = "room_id"

    client = WebsocketCommunicator(
        app_for(Rooms.guarded_by(Lookup)), f"/ws/rooms/{room.pk}/", user=alice
    )
    await client.connect()
    assert (await client.receive_json())["payload"]["status_code"] == 500
    await client.assert_closed(CloseCode.INTERNAL_ERROR)
    await client.disconnect()


def test_registered_as_drf_in_the_plugin_kernel() -> None:
    assert get_plugin_host().authenticators.get("drf") is DjangoAuthenticator


def test_import_names_the_extra_when_the_plugin_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.delitem(sys.modules, "chanx.channels.authenticator")
    monkeypatch.setitem(sys.modules, "chanx_auth_drf", None)
    with pytest.raises(ImportError, match=re.escape(install_hint("drf"))):
        importlib.import_module("chanx.channels.authenticator")


async def _async(func: Any, *args: Any) -> Any:
    from channels.db import database_sync_to_async

    return await database_sync_to_async(func)(*args)
