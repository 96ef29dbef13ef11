"""`AuthenticatorContract`: the behaviour every chanx authenticator must show.

Subclass it in a test module, say which consumer base to use, how to mount a consumer and
how to open a connection for each case; pytest then runs every contract test::

    class TestTokenAuthenticator(AuthenticatorContract):
        authenticator_class = TokenAuthenticator
        consumer_base = AsyncJsonWebsocketConsumer

        def mount(self, consumer):
            return Starlette(routes=[WebSocketRoute("/ws/{pk}", consumer.as_asgi())])

        async def open(self, app, case):
            token = {"accepted": "good", "unauthenticated": "", ...}[case]
            return WebsocketCommunicator(app, f"/ws/1?token={token}")

Cases: ``accepted``, ``unauthenticated`` (4401), ``forbidden`` (4403), ``not_found`` (4404)
and ``malformed`` (input the authenticator cannot parse: it must refuse with a 44xx code,
`malformed_close_code`, never crash). `open` may ``pytest.skip()`` a case that does not apply.
A raising authenticator (`raising_authenticator`) must close with 1011 and log the traceback,
without leaking it to the client.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar, Literal

import pytest

from chanx.core.close_codes import CloseCode
from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage

__all__ = ["AuthenticatorContract"]

SECRET = "contract-secret-detail"


class WhoAmI(BaseMessage):
    """Asks the contract consumer who the authenticator says the client is."""

    action: Literal["contract_whoami"] = "contract_whoami"
    payload: None = None


class Identity(BaseMessage):
    """The reply: whether the authenticator set a user."""

    action: Literal["contract_identity"] = "contract_identity"
    payload: bool


class AuthenticatorContract:
    """Base class of an authenticator's contract tests (see the module docstring).

    Attributes:
        authenticator_class: The authenticator under test.
        consumer_base: The adapter's ``AsyncJsonWebsocketConsumer``.
        malformed_close_code: The code expected for malformed input.
    """

    authenticator_class: ClassVar[Any]
    consumer_base: ClassVar[Any]
    malformed_close_code: ClassVar[int] = CloseCode.NOT_FOUND

    def mount(self, consumer: Any) -> Any:
        """An ASGI app serving `consumer` (routes as `open` expects them)."""
        raise NotImplementedError

    async def open(self, app: Any, case: str) -> Any:
        """A communicator (not yet connected) for `case` on `app`."""
        raise NotImplementedError

    def raising_authenticator(self) -> Any:
        """A variant of the authenticator that fails with an unexpected exception inside."""

        class Raising(self.authenticator_class):  # type: ignore[name-defined, misc]
            async def authenticate(self) -> bool:
                raise RuntimeError(SECRET)

        return Raising

    def consumer(self, authenticator: Any = None, **attributes: Any) -> Any:
        """A consumer guarded by `authenticator` (default: the one under test)."""
        auth = authenticator or self.authenticator_class

        class ContractConsumer(self.consumer_base):  # type: ignore[name-defined, misc]
            send_completion = True
            authenticator_class = auth

            @ws_handler
            async def handle_contract_whoami(self, message: WhoAmI) -> Identity:
                return Identity(payload=getattr(self.authenticator, "user", None) is not None)

        for key, value in attributes.items():
            setattr(ContractConsumer, key, value)
        return ContractConsumer

    async def _refused(self, case: str, code: int, **attributes: Any) -> Any:
        client = await self.open(self.mount(self.consumer(**attributes)), case)
        accepted, _ = await client.connect()
        assert accepted, "chanx accepts first, so the close code reaches the client"
        frames = []
        while client.close_code is None:
            try:
                frames.append(await client.receive_json())
            except AssertionError:
                break
        assert client.close_code == code, f"{case}: expected {code}, got {client.close_code}"
        await client.disconnect()
        return frames

    async def test_accepted_connection_is_served_with_a_user(self) -> None:
        """Accepted: the socket stays open, handlers run, the authenticator set a user."""
        client = await self.open(self.mount(self.consumer()), "accepted")
        async with client:
            await client.send_message(WhoAmI())
            assert await client.receive_all_messages() == [
                {"action": "contract_identity", "payload": True}
            ]

    async def test_unauthenticated_closes_with_4401(self) -> None:
        """No or bad credentials: 4401."""
        assert await self._refused("unauthenticated", CloseCode.UNAUTHENTICATED) == []

    async def test_forbidden_closes_with_4403(self) -> None:
        """Authenticated but not allowed: 4403."""
        assert await self._refused("forbidden", CloseCode.FORBIDDEN) == []

    async def test_not_found_closes_with_4404(self) -> None:
        """The object the connection is about does not exist: 4404."""
        assert await self._refused("not_found", CloseCode.NOT_FOUND) == []

    async def test_malformed_input_is_refused_without_crashing(self) -> None:
        """Input the authenticator cannot parse is a refusal, not an internal error."""
        await self._refused("malformed", self.malformed_close_code)

    async def test_authentication_frame_comes_before_the_close(self) -> None:
        """With ``send_authentication_message``, the outcome frame precedes the close."""
        frames = await self._refused(
            "forbidden", CloseCode.FORBIDDEN, send_authentication_message=True
        )
        assert [f["action"] for f in frames] == ["authentication"]
        assert frames[0]["payload"]["status_code"] == 403

    async def test_raising_authenticator_closes_with_1011_and_logs(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """An exception inside authentication: 1011, traceback in the server log only."""
        app = self.mount(
            self.consumer(self.raising_authenticator(), send_authentication_message=True)
        )
        client = await self.open(app, "accepted")
        with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
            await client.connect()
            frame = await client.receive_json()
            await client.assert_closed(CloseCode.INTERNAL_ERROR)
        await client.disconnect()
        assert frame["payload"]["status_code"] == 500
        assert SECRET not in str(frame)
        assert any(SECRET in (r.exc_text or "") for r in caplog.records)
