"""Helpers for tests of consumers guarded by `TokenAuthenticator`."""

from __future__ import annotations

import time
from typing import Any

import jwt

__all__ = ["make_token"]


def make_token(
    sub: str,
    key: Any,
    *,
    algorithm: str = "HS256",
    kid: str | None = None,
    lifetime: float = 300.0,
    **claims: Any,
) -> str:
    """A JWT for `sub`, signed with `key`, expiring `lifetime` seconds from now.

    Args:
        sub: The ``sub`` claim.
        key: The signing key (an HMAC secret, or a private key for RSA/ECDSA).
        algorithm: The signing algorithm.
        kid: A ``kid`` header naming the key, for key rotation.
        lifetime: Seconds until ``exp`` (negative: already expired).
        **claims: More claims (``aud``, ``iss``, ...).
    """
    payload = {"sub": sub, "exp": int(time.time() + lifetime), **claims}
    headers = {"kid": kid} if kid else None
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)
