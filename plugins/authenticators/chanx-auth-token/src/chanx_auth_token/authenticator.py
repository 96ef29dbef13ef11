"""`TokenAuthenticator`: a signed token (JWT, through PyJWT) from the handshake.

The token is looked for, in order, in the ``Authorization: Bearer <token>`` header, in a
``Sec-WebSocket-Protocol`` value ``bearer.<token>`` offered next to `subprotocol` (which the
server echoes, never the token), in the cookie `cookie_name` and in the query parameter
`query_param`. Its signature, expiry, audience and issuer are checked with the configured
keys; the connection then stays open until the token's ``exp`` (plus `leeway`), unless the
client sends a fresh token in a ``{"action": "refresh_token", "payload": {"token": ...}}``
message.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any, ClassVar

import jwt

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode

__all__ = ["SUBPROTOCOL_PREFIX", "TokenAuthenticator"]

SUBPROTOCOL_PREFIX = "bearer."
"""A subprotocol value ``bearer.<token>`` carries the token (browsers cannot set headers)."""

Key = Any  # str | bytes (HMAC secret or PEM), a cryptography key object, or a jwt.PyJWK


class TokenAuthenticator(BaseAuthenticator):
    """Authenticates with a signed JWT. Options are class attributes (see the module docstring).

    Attributes:
        key: The key for tokens without a ``kid`` header: an HMAC secret, or a public key
            (PEM or a `cryptography` key) for RSA/ECDSA algorithms.
        keys: Keys by key id (``kid`` header), for rotation. A token naming a ``kid`` not in
            it is refused.
        algorithms: Accepted algorithms (never taken from the token).
        audience: Required ``aud`` (one value or several accepted), or None to not check.
        issuer: Required ``iss``, or None to not check.
        leeway: Seconds of clock skew allowed on ``exp``/``nbf``/``iat``.
        require: Claims a token must carry.
        subprotocol: The subprotocol name a client offers with ``bearer.<token>``; echoed.
            None disables the subprotocol source.
        cookie_name: Cookie holding the token, or None (setting it turns on `uses_cookies`).
        query_param: Query parameter holding the token, or None.
        refresh_action: Action of the refresh message; None disables refresh.
        claims: The validated claims of the current token.
        user: What `get_user()` returned (by default the ``sub`` claim).
    """

    key: ClassVar[Key] = None
    keys: ClassVar[Mapping[str, Key]] = {}
    algorithms: ClassVar[Sequence[str]] = ("HS256",)
    audience: ClassVar[str | Sequence[str] | None] = None
    issuer: ClassVar[str | None] = None
    leeway: ClassVar[float] = 0.0
    require: ClassVar[Sequence[str]] = ("exp",)
    subprotocol: ClassVar[str | None] = "chanx.token"
    cookie_name: ClassVar[str | None] = None
    query_param: ClassVar[str | None] = "token"
    refresh_action: ClassVar[str | None] = "refresh_token"

    claims: dict[str, Any]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.cookie_name:
            cls.uses_cookies = True

    def __init__(self, scope: MutableMapping[str, Any]) -> None:
        super().__init__(scope)
        self.claims = {}

    @classmethod
    def select_subprotocol(cls, scope: MutableMapping[str, Any]) -> str | None:
        """Echo `subprotocol` when the client offered it (never the token itself)."""
        offered = scope.get("subprotocols") or ()
        return cls.subprotocol if cls.subprotocol and cls.subprotocol in offered else None

    async def authenticate(self) -> bool:
        """Validate the handshake's token, then load the user with `get_user()`."""
        token = self.get_token()
        if not token:
            return False
        self.claims = self.decode(token)
        self.expires_at = self._expiry(self.claims)
        self.user = await self.get_user(self.claims)
        return self.user is not None

    async def get_user(self, claims: Mapping[str, Any]) -> Any:
        """The user the validated `claims` stand for; override to load it (None refuses).

        Raise `AuthenticationFailed` with another code (forbidden, not found) to refuse
        otherwise. The base returns the ``sub`` claim.
        """
        return claims.get("sub")

    async def refresh(self, payload: Any) -> None:
        """Adopt the token in ``payload["token"]`` if valid and for the same subject."""
        token = payload.get("token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token:
            raise _refused("refresh without a token")
        claims = self.decode(token)
        if claims.get("sub") != self.claims.get("sub"):
            raise _refused("token subject changed")
        self.claims = claims
        self.expires_at = self._expiry(claims)

    def get_token(self) -> str | None:
        """The raw token from the handshake, or None (header, subprotocol, cookie, query)."""
        authorization = self.get_header("authorization")
        if authorization:
            scheme, _, credentials = authorization.partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
        if self.subprotocol:
            offered = self.scope.get("subprotocols") or ()
            if self.subprotocol in offered:
                for value in offered:
                    if value.startswith(SUBPROTOCOL_PREFIX):
                        return str(value[len(SUBPROTOCOL_PREFIX) :])
        if self.cookie_name:
            value = self.cookies.get(self.cookie_name)
            if value:
                return value
        if self.query_param:
            return self.get_query_param(self.query_param) or None
        return None

    def decode(self, token: str) -> dict[str, Any]:
        """The validated claims of `token`.

        Raises:
            AuthenticationFailed: 4401 with a short reason (no token content in it).
        """
        try:
            header = jwt.get_unverified_header(token)
            key = self._key_for(header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self.algorithms),
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(self.require)},
            )
        except jwt.ExpiredSignatureError:
            raise _refused("token expired") from None
        except jwt.InvalidAudienceError:
            raise _refused("invalid audience") from None
        except jwt.InvalidIssuerError:
            raise _refused("invalid issuer") from None
        except jwt.InvalidSignatureError:
            raise _refused("invalid signature") from None
        except jwt.MissingRequiredClaimError as error:
            raise _refused(f"missing claim {error.claim!r}") from None
        except jwt.InvalidTokenError:  # malformed, wrong algorithm, not yet valid, ...
            raise _refused("invalid token") from None
        except (jwt.InvalidKeyError, TypeError, ValueError):  # alg does not fit the kid's key
            raise _refused("invalid token") from None
        except OverflowError:  # a numeric claim beyond a float (exp=10**400, Infinity)
            raise _refused("invalid token") from None
        _check_time_claims(claims)
        return claims

    def _key_for(self, kid: Any) -> Key:
        if kid is not None:
            if not isinstance(kid, str) or kid not in self.keys:
                raise _refused("unknown key id")
            return self.keys[kid]
        if self.key is None:
            raise _refused("token has no key id")
        return self.key

    def _expiry(self, claims: Mapping[str, Any]) -> float | None:
        exp = claims.get("exp")
        return float(exp) + self.leeway if isinstance(exp, int | float) else None


def _check_time_claims(claims: Mapping[str, Any]) -> None:
    """Refuse time claims no clock reaches (signed, but not usable as a deadline)."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                seconds = float(value)
            except OverflowError:
                raise _refused("invalid token") from None
            if not math.isfinite(seconds):
                raise _refused("invalid token")


def _refused(reason: str) -> AuthenticationFailed:
    return AuthenticationFailed(CloseCode.UNAUTHENTICATED, reason)
