"""Authentication: outcomes, close codes, hooks, and the authenticator helpers.

Tests taking `adapter` run on Starlette and on Django Channels (see `conftest.py`).
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal

import pytest

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode, should_reconnect
from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.kernel import PluginHost, hookimpl
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

USERS = {"good-token": "alice"}


class TokenAuthenticator(BaseAuthenticator):
    async def authenticate(self) -> bool:
        token = self.get_query_param("token")
        if token == "forbidden":
            raise AuthenticationFailed(CloseCode.FORBIDDEN, "not yours")
        if token == "explode":
            raise RuntimeError("db down: password=hunter2")
        self.user = USERS.get(token or "")
        return self.user is not None


class WhoAmI(BaseMessage):
    action: Literal["whoami"] = "whoami"
    payload: None = None


class Me(BaseMessage):
    action: Literal["me"] = "me"
    payload: str


calls: list[str] = []


class SecureBody:
    send_completion = True
    authenticator_class = TokenAuthenticator
    authenticator: TokenAuthenticator
    groups: ClassVar[list[str]] = ["secure"]

    async def post_authentication(self) -> None:
        calls.append(f"post:{self.user}")

    @ws_handler
    async def handle_whoami(self, message: WhoAmI) -> Me:
        return Me(payload=f"{self.user}/{self.authenticator.user}")


@pytest.fixture
def secure(adapter: Any) -> Any:
    return adapter.consumer(SecureBody)


@pytest.fixture
def app(adapter: Any, secure: Any) -> Any:
    return adapter.app(("/s", secure), ("/s-msg", secure, {"send_authentication_message": True}))


async def test_accepted_connection_exposes_the_user(adapter: Any, app: Any) -> None:
    calls.clear()
    async with adapter.client(app, "/s?token=good-token") as client:
        await client.send_message(WhoAmI())
        assert await client.receive_all_messages() == [{"action": "me", "payload": "alice/alice"}]
    assert calls == ["post:alice"]


@pytest.mark.parametrize(
    ("query", "code"),
    [("", 4401), ("?token=wrong", 4401), ("?token=forbidden", 4403), ("?token=explode", 1011)],
)
async def test_refused_connections_close_with_their_code_and_skip_post_authentication(
    adapter: Any, app: Any, query: str, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    calls.clear()
    client = adapter.client(app, f"/s{query}")
    with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
        accepted, _ = await client.connect()
        assert accepted  # accepted first, so the close code reaches the client
        await client.assert_closed(code)
    await client.disconnect()
    assert calls == []
    if code == 1011:
        assert any("db down" in (r.exc_text or "") for r in caplog.records)


async def test_refused_connection_joins_no_group(adapter: Any, app: Any, secure: Any) -> None:
    client = adapter.client(app, "/s?token=wrong")
    await client.connect()
    await client.assert_closed(4401)
    layer = secure.get_channel_layer()
    assert layer is not None
    await secure.broadcast_event(WhoAmI())  # while the refused socket still exists
    assert layer.stats.sent == 0  # type: ignore[attr-defined]
    await client.disconnect()


async def test_authentication_frame_comes_first_when_enabled(adapter: Any, app: Any) -> None:
    async with adapter.client(app, "/s-msg?token=good-token") as client:
        assert await client.receive_json() == {
            "action": "authentication",
            "payload": {"status_code": 200, "status_text": "OK", "data": None},
        }
    client = adapter.client(app, "/s-msg?token=forbidden")
    await client.connect()
    frame = await client.receive_json()
    assert frame["payload"]["status_code"] == 403
    await client.assert_closed(4403)
    await client.disconnect()
    client = adapter.client(app, "/s-msg?token=explode")
    await client.connect()
    frame = await client.receive_json()
    assert frame["payload"] == {"status_code": 500, "status_text": "Server Error", "data": None}
    assert "hunter2" not in str(frame)
    await client.disconnect()


async def test_upstream_style_authenticate_with_scope_argument(adapter: Any) -> None:
    class ScopeAuth(BaseAuthenticator):
        async def authenticate(self, scope: Any) -> bool:  # type: ignore[override]
            return scope["path"] == "/u"

    class C(adapter.base):  # type: ignore[misc, name-defined]
        authenticator_class = ScopeAuth

        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    routes = adapter.app(("/u", C))
    async with adapter.client(routes, "/u") as client:
        await client.send_message(PingMessage())
        assert (await client.receive_json())["action"] == "pong"


async def test_authenticator_selected_by_registered_name(
    adapter: Any, plugin_host: PluginHost
) -> None:
    class Plugin:
        @hookimpl
        def chanx_register_authenticators(self, registry: Any) -> None:
            registry.add("only-bob", OnlyBob)

    class OnlyBob(BaseAuthenticator):
        async def authenticate(self) -> bool:
            self.user = self.get_header("x-user")
            return self.user == "bob"

    plugin_host.register(Plugin(), name="fake")

    class C(adapter.base):  # type: ignore[misc, name-defined]
        authenticator_class = "only-bob"

    routes = adapter.app(("/n", C))
    async with adapter.client(routes, "/n", headers=[("X-User", "bob")]):
        pass
    refused = adapter.client(routes, "/n", headers=[("X-User", "eve")])
    await refused.connect()
    await refused.assert_closed(CloseCode.UNAUTHENTICATED)
    await refused.disconnect()


def test_authenticator_helpers_read_query_headers_and_cookies() -> None:
    auth = BaseAuthenticator(
        {
            "query_string": b"a=1&a=2&empty=&t=%20x",
            "headers": [(b"cookie", b"session=abc; theme=dark"), (b"x-a", b"1"), (b"X-A", b"2")],
        }
    )
    assert auth.get_query_param("a") == "1"
    assert auth.query_params["a"] == ["1", "2"]
    assert auth.get_query_param("empty") == ""
    assert auth.get_query_param("t") == " x"
    assert auth.get_query_param("missing", "d") == "d"
    assert auth.get_header("X-A") == "1,2"
    assert auth.cookies == {"session": "abc", "theme": "dark"}


def test_invalid_authenticator_class_is_an_error_at_definition() -> None:
    from chanx.core.plan import ConsumerDefinitionError

    with pytest.raises(ConsumerDefinitionError, match="expected a BaseAuthenticator subclass"):

        class C(AsyncJsonWebsocketConsumer):
            authenticator_class = 42


def test_close_code_reconnect_advice() -> None:
    assert should_reconnect(CloseCode.GOING_AWAY)
    assert not should_reconnect(CloseCode.UNAUTHENTICATED)
    assert should_reconnect(CloseCode.RATE_LIMITED)
    assert not should_reconnect(CloseCode.NORMAL)
    assert should_reconnect(4999)
