"""Signed-token (JWT) authenticator for chanx consumers, on Starlette and Django Channels.

Install with ``pip install --no-index --find-links dist "chanx[token]"``; select it with
``authenticator_class = "token"`` and ``authenticator_options``, or subclass
`TokenAuthenticator`. See ``docs/token-auth.md``.
"""

from __future__ import annotations

from chanx_auth_token.authenticator import SUBPROTOCOL_PREFIX, TokenAuthenticator

__all__ = ["SUBPROTOCOL_PREFIX", "TokenAuthenticator"]
