"""`TokenAuthenticator`: token sources, validation failures, key rotation, expiry, refresh."""

from __future__ import annotations

from typing import Any, Literal

import jwt
import pytest
from channels.routing import URLRouter
from chanx_auth_token import TokenAuthenticator
from chanx_auth_token.testing import make_token
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.urls import path
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.channels.websocket import AsyncJsonWebsocketConsumer as DjangoConsumer
from chanx.core.close_codes import CloseCode
from chanx.core.decorators import ws_handler
from chanx.core.plan import ConsumerDefinitionError
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.kernel import get_plugin_host
from chanx.messages.base import BaseMessage
from chanx.testing.communicator import WebsocketCommunicator
from chanx.testing.django import WebsocketCommunicator as DjangoCommunicator

SECRET = "token-tests-hmac-secret-of-32-bytes!"
DAY = 86400.0  # lifetime of tokens made at collection: they must outlive a long test run
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


class WhoAmI(BaseMessage):
    action: Literal["whoami"] = "whoami"
    payload: None = None


class Identity(BaseMessage):
    action: Literal["identity"] = "identity"
    payload: str


class Chat(AsyncJsonWebsocketConsumer):
    authenticator_class = "token"
    authenticator_options = {"key": SECRET, "audience": "chat", "issuer": "https://id.test"}
    send_authentication_message = True

    @ws_handler
    async def handle_whoami(self, message: WhoAmI) -> Identity:
        return Identity(payload=str(self.user))


def app(consumer: Any = Chat) -> Starlette:
    return Starlette(routes=[WebSocketRoute("/ws", consumer.as_asgi())])


def good(sub: str = "ann", **claims: Any) -> str:
    return make_token(sub, SECRET, **{"aud": "chat", "iss": "https://id.test", **claims})


def with_options(**options: Any) -> Any:
    return type(
        "Custom", (Chat,), {"authenticator_options": {**Chat.authenticator_options, **options}}
    )


async def whoami(client: Any) -> Any:
    await client.send_message(WhoAmI())
    return (await client.receive_json())["payload"]


async def refused(client: Any) -> tuple[str, int]:
    await client.connect()
    frame = await client.receive_json()
    code = await client.assert_closed()
    await client.disconnect()
    return frame["payload"]["status_text"], code


# -- sources ---------------------------------------------------------------------------


async def test_authorization_bearer_header_authenticates() -> None:
    client = WebsocketCommunicator(app(), "/ws", headers=[("authorization", f"Bearer {good()}")])
    async with client:
        assert (await client.receive_json())["payload"]["status_code"] == 200
        assert await whoami(client) == "ann"


async def test_subprotocol_carries_the_token_and_only_the_name_is_echoed() -> None:
    offered = ["chanx.token", f"bearer.{good()}"]
    client = WebsocketCommunicator(app(), "/ws", subprotocols=offered)
    async with client:
        assert client.accepted_subprotocol == "chanx.token"
        await client.receive_json()
        assert await whoami(client) == "ann"


async def test_subprotocol_works_on_the_django_adapter() -> None:
    class DjangoChat(DjangoConsumer):
        authenticator_class = "token"
        authenticator_options = Chat.authenticator_options

    router = URLRouter([path("ws/", DjangoChat.as_asgi())])
    client = DjangoCommunicator(router, "/ws/", subprotocols=["chanx.token", f"bearer.{good()}"])
    assert await client.connect() == (True, "chanx.token")
    assert await client.receive_nothing()
    await client.disconnect()


async def test_no_subprotocol_is_echoed_when_the_client_offers_none() -> None:
    client = WebsocketCommunicator(app(), f"/ws?token={good()}")
    async with client:
        assert client.accepted_subprotocol is None


async def test_cookie_authenticates_and_turns_on_the_origin_check() -> None:
    consumer = with_options(cookie_name="access")
    assert consumer.__chanx_plan__.authenticator_factory.uses_cookies
    same_site = [("host", "testserver"), ("origin", "http://testserver")]
    headers = [*same_site, ("cookie", f"access={good()}")]
    async with WebsocketCommunicator(app(consumer), "/ws", headers=headers) as client:
        await client.receive_json()
        assert await whoami(client) == "ann"


async def test_query_parameter_authenticates() -> None:
    async with WebsocketCommunicator(app(), f"/ws?token={good()}") as client:
        await client.receive_json()
        assert await whoami(client) == "ann"


async def test_a_disabled_source_is_not_read() -> None:
    client = WebsocketCommunicator(app(with_options(query_param=None)), f"/ws?token={good()}")
    assert await refused(client) == ("Unauthorized", CloseCode.UNAUTHENTICATED)


# -- validation ------------------------------------------------------------------------


HOUR = 3600  # tokens made at collection time must outlive a long test session


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (
            make_token("ann", SECRET, lifetime=DAY, aud="other", iss="https://id.test"),
            "invalid audience",
        ),
        (
            make_token("ann", SECRET, lifetime=DAY, aud="chat", iss="https://evil.test"),
            "invalid issuer",
        ),
        (
            make_token("ann", "another-secret-of-32-bytes-or-more!", lifetime=DAY, aud="chat"),
            "invalid signature",
        ),
        (
            make_token("ann", SECRET, aud="chat", iss="https://id.test", lifetime=-60),
            "token expired",
        ),
        (
            make_token(
                "ann", SECRET, lifetime=DAY, kid="nobody", aud="chat", iss="https://id.test"
            ),
            "unknown key id",
        ),
        (
            jwt.encode({"sub": "ann", "aud": "chat", "iss": "https://id.test"}, SECRET),
            "missing claim 'exp'",
        ),
        ("garbage", "invalid token"),
        (good(exp=10**400), "invalid token"),
        (good(exp=float("inf")), "invalid token"),
        (good(iat=10**400), "invalid token"),
    ],
    ids=[
        "audience",
        "issuer",
        "signature",
        "expired",
        "unknown-kid",
        "no-exp",
        "malformed",
        "huge-exp",
        "infinite-exp",
        "huge-iat",
    ],
)
async def test_invalid_tokens_close_with_4401_and_a_short_reason(token: str, reason: str) -> None:
    client = WebsocketCommunicator(app(), f"/ws?token={token}")
    assert await refused(client) == (reason, CloseCode.UNAUTHENTICATED)


async def test_leeway_admits_a_token_that_just_expired() -> None:
    token = good(exp=int(__import__("time").time()) - 5)
    async with WebsocketCommunicator(app(with_options(leeway=60)), f"/ws?token={token}") as c:
        assert (await c.receive_json())["payload"]["status_code"] == 200


async def test_keys_rotate_by_key_id_across_hmac_rsa_and_ecdsa() -> None:
    consumer = with_options(
        key=None,
        keys={
            "old": SECRET,
            "rsa-1": RSA_KEY.public_key(),
            "ec-1": EC_KEY.public_key(),
        },
        algorithms=("HS256", "RS256", "ES256"),
    )
    claims = {"aud": "chat", "iss": "https://id.test"}
    tokens = [
        make_token("ann", SECRET, kid="old", **claims),
        make_token("bob", RSA_KEY, algorithm="RS256", kid="rsa-1", **claims),
        make_token("cy", EC_KEY, algorithm="ES256", kid="ec-1", **claims),
    ]
    for sub, token in zip(["ann", "bob", "cy"], tokens, strict=True):
        async with WebsocketCommunicator(app(consumer), f"/ws?token={token}") as client:
            await client.receive_json()
            assert await whoami(client) == sub
    rs_as_ec = make_token("ann", RSA_KEY, algorithm="RS256", kid="ec-1", **claims)
    client = WebsocketCommunicator(app(consumer), f"/ws?token={rs_as_ec}")
    assert await refused(client) == ("invalid token", CloseCode.UNAUTHENTICATED)
    no_kid = make_token("ann", SECRET, **claims)
    client = WebsocketCommunicator(app(consumer), f"/ws?token={no_kid}")
    assert await refused(client) == ("token has no key id", CloseCode.UNAUTHENTICATED)


# -- selection by name and subclassing -------------------------------------------------


def test_registered_as_token_in_the_plugin_kernel() -> None:
    assert get_plugin_host().authenticators.get("token") is TokenAuthenticator


def test_an_unknown_option_fails_the_class_statement() -> None:
    with pytest.raises(ConsumerDefinitionError, match="has no option 'audiance'"):

        class Typo(AsyncJsonWebsocketConsumer):
            authenticator_class = "token"
            authenticator_options = {"audiance": "chat"}


async def test_a_subclass_loads_the_user_from_the_claims() -> None:
    users = {"ann": "Ann Example"}

    class Loading(TokenAuthenticator):
        key = SECRET
        audience = "chat"

        async def get_user(self, claims: Any) -> Any:
            return users.get(claims["sub"])

    consumer = type(
        "Loaded", (Chat,), {"authenticator_class": Loading, "authenticator_options": None}
    )
    async with WebsocketCommunicator(app(consumer), f"/ws?token={good()}") as client:
        await client.receive_json()
        assert await whoami(client) == "Ann Example"
    client = WebsocketCommunicator(app(consumer), f"/ws?token={good('zed')}")
    assert await refused(client) == ("Unauthorized", CloseCode.UNAUTHENTICATED)


# -- lifetime --------------------------------------------------------------------------


async def test_the_connection_closes_with_4401_when_the_token_expires() -> None:
    # exp is a whole second: lifetime=2 leaves between 1 and 2 seconds to connect in
    client = WebsocketCommunicator(app(), f"/ws?token={good(lifetime=2)}")
    await client.connect()
    assert (await client.receive_json())["payload"]["status_code"] == 200
    assert await client.assert_closed(timeout=4) == CloseCode.UNAUTHENTICATED
    await client.disconnect()


async def test_a_refreshed_token_keeps_the_connection_past_the_first_expiry() -> None:
    client = WebsocketCommunicator(app(), f"/ws?token={good(lifetime=2)}")
    async with client:
        await client.receive_json()
        await client.send_message({"action": "refresh_token", "payload": {"token": good()}})
        frame = await client.receive_json()
        assert frame["payload"]["status_code"] == 200
        assert frame["payload"]["status_text"] == "Credentials refreshed"
        assert await client.receive_nothing(timeout=2.1)  # past the first token's expiry
        assert await whoami(client) == "ann"


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (
            {"token": make_token("ann", "wrong-secret-of-32-bytes-or-more!!", aud="chat")},
            "invalid signature",
        ),
        ({"token": "x"}, "invalid token"),
        ({}, "refresh without a token"),
        (None, "refresh without a token"),
    ],
    ids=["bad-signature", "malformed", "no-token", "no-payload"],
)
async def test_an_invalid_refresh_closes_with_4401(payload: Any, reason: str) -> None:
    client = WebsocketCommunicator(app(), f"/ws?token={good()}")
    await client.connect()
    await client.receive_json()
    await client.send_message({"action": "refresh_token", "payload": payload})
    frame = await client.receive_json()
    assert frame["payload"]["status_text"] == reason
    assert await client.assert_closed() == CloseCode.UNAUTHENTICATED
    await client.disconnect()


async def test_a_refresh_for_another_subject_is_refused() -> None:
    client = WebsocketCommunicator(app(), f"/ws?token={good()}")
    await client.connect()
    await client.receive_json()
    await client.send_message({"action": "refresh_token", "payload": {"token": good("eve")}})
    assert (await client.receive_json())["payload"]["status_text"] == "token subject changed"
    assert await client.assert_closed() == CloseCode.UNAUTHENTICATED
    await client.disconnect()


async def test_without_refresh_action_the_message_is_an_unknown_action() -> None:
    async with WebsocketCommunicator(
        app(with_options(refresh_action=None)), f"/ws?token={good()}"
    ) as c:
        await c.receive_json()
        await c.send_message({"action": "refresh_token", "payload": {"token": good()}})
        assert (await c.receive_json())["payload"]["code"] == "unknown_action"


async def test_refresh_and_expiry_work_on_the_django_adapter() -> None:
    class DjangoChat(DjangoConsumer):
        authenticator_class = "token"
        authenticator_options = Chat.authenticator_options
        send_authentication_message = True

    router = URLRouter([path("ws/", DjangoChat.as_asgi())])
    client = DjangoCommunicator(router, f"/ws/?token={good(lifetime=2)}")
    await client.connect()
    await client.receive_json()
    await client.send_json_to({"action": "refresh_token", "payload": {"token": good(lifetime=3)}})
    assert (await client.receive_json())["payload"]["status_text"] == "Credentials refreshed"
    assert await client.assert_closed(timeout=5) == CloseCode.UNAUTHENTICATED
    await client.disconnect()
