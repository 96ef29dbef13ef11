"""Credential lifetime (`chanx/core/expiry.py`), subprotocol choice and authenticator options.

Tests taking `adapter` run on Starlette and on Django Channels (see `conftest.py`).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar, Literal

import pytest

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode
from chanx.core.decorators import ws_handler
from chanx.core.plan import ConsumerDefinitionError
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage


class Leased(BaseAuthenticator):
    """Accepts `?ttl=<seconds>`; refreshes with `{"ttl": ...}` (0 refuses, -1 raises)."""

    refresh_action: ClassVar[str | None] = "renew"
    lifetime: ClassVar[float] = 0.0

    async def authenticate(self) -> bool:
        self.user = "ann"
        self.expires_at = time.time() + float(self.get_query_param("ttl") or "3600")
        return True

    async def refresh(self, payload: Any) -> None:
        ttl = float(payload["ttl"])
        if ttl == -1:
            raise RuntimeError("store down")
        if ttl <= 0:
            raise AuthenticationFailed(reason="lease refused")
        self.expires_at = time.time() + ttl


class Ping(BaseMessage):
    action: Literal["ping_me"] = "ping_me"
    payload: None = None


class Pong(BaseMessage):
    action: Literal["pong_me"] = "pong_me"
    payload: None = None


class LeasedBody:
    authenticator_class = Leased

    @ws_handler
    async def handle_ping_me(self, message: Ping) -> Pong:
        return Pong()


@pytest.fixture
def app(adapter: Any) -> Any:
    return adapter.app(("/l", adapter.consumer(LeasedBody)))


async def test_the_connection_closes_with_4401_at_expiry(adapter: Any, app: Any) -> None:
    client = adapter.client(app, "/l?ttl=0.2")
    await client.connect()
    assert await client.assert_closed(timeout=3) == CloseCode.UNAUTHENTICATED
    await client.disconnect()


async def test_a_refresh_is_acknowledged_and_moves_the_expiry(adapter: Any, app: Any) -> None:
    client = adapter.client(app, "/l?ttl=1")
    await client.connect()
    await client.send_message({"action": "renew", "payload": {"ttl": 3600}})
    frame = await client.receive_json()
    assert frame["payload"]["status_text"] == "Credentials refreshed"
    assert await client.receive_nothing(timeout=1.1)  # past the first expiry
    await client.send_message({"action": "ping_me"})
    assert (await client.receive_json())["action"] == "pong_me"
    await client.disconnect()


@pytest.mark.parametrize(("ttl", "code"), [(0, 4401), (-1, 1011)])
async def test_a_refused_or_failing_refresh_closes(
    adapter: Any, app: Any, ttl: int, code: int, caplog: pytest.LogCaptureFixture
) -> None:
    client = adapter.client(app, "/l")
    await client.connect()
    await client.send_message({"action": "renew", "payload": {"ttl": ttl}})
    assert await client.assert_closed() == code
    await client.disconnect()
    logged = [r.exc_text or "" for r in caplog.records if "refresh raised" in r.getMessage()]
    assert ("store down" in "".join(logged)) is (code == 1011)


async def test_other_unknown_actions_still_get_an_error_frame(adapter: Any, app: Any) -> None:
    client = adapter.client(app, "/l")
    await client.connect()
    await client.send_message({"action": "renewal"})
    assert (await client.receive_json())["payload"]["code"] == "unknown_action"
    await client.disconnect()


async def test_the_subprotocol_chosen_by_the_authenticator_is_accepted(adapter: Any) -> None:
    class Picky(BaseAuthenticator):
        @classmethod
        def select_subprotocol(cls, scope: Any) -> str | None:
            return "v2.chat" if "v2.chat" in scope.get("subprotocols", ()) else None

    app = adapter.app(("/p", adapter.consumer(LeasedBody, authenticator_class=Picky)))
    client = adapter.client(app, "/p", subprotocols=["v1.chat", "v2.chat"])
    accepted, subprotocol = await client.connect()
    assert accepted
    assert (subprotocol if adapter.name == "django" else client.accepted_subprotocol) == "v2.chat"
    await client.disconnect()


def test_authenticator_options_configure_a_subclass_per_consumer() -> None:
    class Configured(AsyncJsonWebsocketConsumer):
        authenticator_class = Leased
        authenticator_options = {"refresh_action": "extend"}

    factory = Configured.__chanx_plan__.authenticator_factory
    assert issubclass(factory, Leased)
    assert (factory.refresh_action, Leased.refresh_action) == ("extend", "renew")


@pytest.mark.parametrize("option", ["no_such_option", "_private"])
def test_an_unknown_or_private_option_fails_the_class(option: str) -> None:
    with pytest.raises(ConsumerDefinitionError, match=f"has no option {option!r}"):

        class Typo(AsyncJsonWebsocketConsumer):
            authenticator_class = Leased
            authenticator_options = {option: 1}


def test_authenticator_options_cannot_be_overridden_per_route() -> None:
    class Plain(AsyncJsonWebsocketConsumer):
        authenticator_class = Leased

    with pytest.raises(TypeError, match="shapes the compiled plan"):
        Plain.as_asgi(authenticator_options={"lifetime": 1.0})
