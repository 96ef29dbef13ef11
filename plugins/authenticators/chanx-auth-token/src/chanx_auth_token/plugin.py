"""The chanx plugin module (entry point ``auth-token``): registers the ``token`` authenticator."""

from __future__ import annotations

from typing import Any

from chanx.kernel import hookimpl


@hookimpl
def chanx_register_authenticators(registry: Any) -> None:
    """Register `TokenAuthenticator` as ``"token"``, by path (PyJWT is imported on first use)."""
    registry.add("token", "chanx_auth_token.authenticator:TokenAuthenticator")
