"""The chanx plugin module (entry point ``auth-example``): registers ``"example"``."""

from __future__ import annotations

from typing import Any

from chanx.kernel import hookimpl


@hookimpl
def chanx_register_authenticators(registry: Any) -> None:
    """Register `ApiKeyAuthenticator` as ``"example"``.

    The path form (``"module:Attr"``) imports the class on first use, so `chanx plugins`
    and processes that never select it do not import the module or its dependencies.
    """
    registry.add("example", "chanx_auth_example.authenticator:ApiKeyAuthenticator")
