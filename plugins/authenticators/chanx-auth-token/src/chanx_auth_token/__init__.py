"""Signed-token (JWT) authenticator for chanx consumers, on Starlette and Django Channels.

Install with ``pip install --no-index --find-links dist "chanx[token]"``; select it with
``authenticator_class = "token"`` and ``authenticator_options``, or subclass
`TokenAuthenticator`. See ``docs/token-auth.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_auth_token.authenticator import SUBPROTOCOL_PREFIX, TokenAuthenticator

__all__ = ["SUBPROTOCOL_PREFIX", "TokenAuthenticator"]

_HOMES = {
    "SUBPROTOCOL_PREFIX": "chanx_auth_token.authenticator",
    "TokenAuthenticator": "chanx_auth_token.authenticator",
}


def __getattr__(name: str) -> Any:
    """Import on first use: PyJWT loads only in a process that authenticates with tokens."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chanx_auth_token' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
