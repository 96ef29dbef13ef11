"""The chanx plugin module (entry point ``auth-drf``): registers the ``drf`` authenticator."""

from __future__ import annotations

from typing import Any

from chanx.kernel import hookimpl


@hookimpl
def chanx_register_authenticators(registry: Any) -> None:
    """Register `DjangoAuthenticator` as ``"drf"``."""
    from chanx_auth_drf.authenticator import DjangoAuthenticator

    registry.add("drf", DjangoAuthenticator)
