"""Django REST framework authenticator for chanx consumers on Django Channels.

Install with ``pip install --no-index --find-links dist "chanx[drf]"``; import it as
``from chanx.channels.authenticator import DjangoAuthenticator`` or select it by name with
``authenticator_class = "drf"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_auth_drf.authenticator import DjangoAuthenticator

__all__ = ["DjangoAuthenticator"]


def __getattr__(name: str) -> Any:
    """Import the authenticator on first use: importing DRF reads Django settings."""
    if name == "DjangoAuthenticator":
        from chanx_auth_drf.authenticator import DjangoAuthenticator

        return DjangoAuthenticator
    raise AttributeError(f"module 'chanx_auth_drf' has no attribute {name!r}")
