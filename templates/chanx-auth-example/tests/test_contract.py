"""The authenticator passes chanx's `AuthenticatorContract` (here on the Starlette adapter)."""

from __future__ import annotations

from typing import Any

import pytest
from chanx_auth_example import ApiKeyAuthenticator
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.testing.authenticator_contract import AuthenticatorContract
from chanx.testing.communicator import WebsocketCommunicator


class Configured(ApiKeyAuthenticator):
    api_keys = {"good": "ann", "blocked": "eve"}
    blocked = frozenset({"eve"})


class TestApiKeyContract(AuthenticatorContract):
    authenticator_class = Configured
    consumer_base = AsyncJsonWebsocketConsumer
    malformed_close_code = 4401  # an unreadable key is just an unknown key

    def mount(self, consumer: Any) -> Any:
        return Starlette(routes=[WebSocketRoute("/ws", consumer.as_asgi())])

    async def open(self, app: Any, case: str) -> Any:
        if case == "not_found":
            pytest.skip("an API key is not about an object")
        key = {"accepted": "good", "unauthenticated": "", "forbidden": "blocked"}.get(case)
        query = f"api_key={key}" if key is not None else "api_key=%ff%fe"
        return WebsocketCommunicator(app, f"/ws?{query}")
