"""The chanx plugin module (entry point ``auth-drf``): registers the ``drf`` authenticator."""

from __future__ import annotations

from typing import Any

from chanx.kernel import hookimpl


@hookimpl
def chanx_register_authenticators(registry: Any) -> None:
    """Register `DjangoAuthenticator` as ``"drf"``, by path.

    Importing it imports Django REST framework, which reads Django settings: registering the
    path keeps `chanx plugins` and non-Django processes from touching either.
    """
    registry.add("drf", "chanx_auth_drf.authenticator:DjangoAuthenticator")
