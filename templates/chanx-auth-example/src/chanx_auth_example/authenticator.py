"""`ApiKeyAuthenticator`: a connection presents an API key; the key names a user."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode

__all__ = ["ApiKeyAuthenticator"]


class ApiKeyAuthenticator(BaseAuthenticator):
    """Accepts a known key from the ``X-API-Key`` header or the ``api_key`` query parameter.

    Options are class attributes, set on a subclass or with a consumer's
    ``authenticator_options``.

    Attributes:
        api_keys: Known keys, each mapped to its user (replace with a database lookup by
            overriding `get_user`).
        blocked: Users who authenticate but may not connect (closed with 4403).
    """

    api_keys: ClassVar[Mapping[str, str]] = {"demo-key": "demo-user"}
    blocked: ClassVar[frozenset[str]] = frozenset()

    async def authenticate(self) -> bool:
        """True with a known key; False (4401) without; 4403 for a blocked user."""
        key = self.get_header("x-api-key") or self.get_query_param("api_key")
        if not key:
            return False
        self.user = await self.get_user(key)
        if self.user is not None and self.user in self.blocked:
            raise AuthenticationFailed(CloseCode.FORBIDDEN, "user blocked")
        return self.user is not None

    async def get_user(self, key: str) -> Any:
        """The user `key` belongs to, or None."""
        return self.api_keys.get(key)
