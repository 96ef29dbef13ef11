"""`AuthenticatorContract` run against a small token authenticator, on both adapters."""

from __future__ import annotations

from typing import Any

import pytest

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode
from chanx.testing.authenticator_contract import AuthenticatorContract

ROOMS = {"1": {"alice"}}
TOKENS = {"alice-token": "alice", "bob-token": "bob"}


class RoomTokenAuthenticator(BaseAuthenticator):
    async def authenticate(self) -> bool:
        self.user = TOKENS.get(self.get_query_param("token") or "")
        if self.user is None:
            return False
        room = self.scope["path_params"]["room"]
        if not room.isdigit():
            raise AuthenticationFailed(CloseCode.NOT_FOUND, "no such room")
        if room not in ROOMS:
            raise AuthenticationFailed(CloseCode.NOT_FOUND)
        if self.user not in ROOMS[room]:
            raise AuthenticationFailed(CloseCode.FORBIDDEN)
        return True


CASES = {
    "accepted": "/r/1?token=alice-token",
    "unauthenticated": "/r/1?token=nope",
    "forbidden": "/r/1?token=bob-token",
    "not_found": "/r/2?token=alice-token",
    "malformed": "/r/%ZZ?token=alice-token",
}


class TestRoomTokenAuthenticator(AuthenticatorContract):
    authenticator_class = RoomTokenAuthenticator

    @pytest.fixture(autouse=True)
    def _adapter(self, adapter: Any) -> None:
        self.adapter = adapter
        self.consumer_base = adapter.base  # type: ignore[misc]

    def mount(self, consumer: Any) -> Any:
        return self.adapter.app(("/r/{room}", consumer))

    async def open(self, app: Any, case: str) -> Any:
        return self.adapter.client(app, CASES[case])
