"""`BaseAuthenticator`: decides whether a WebSocket connection may proceed.

An authenticator is created for each connection with the ASGI scope. Its `authenticate()`
returns True to accept, False to close with `CloseCode.UNAUTHENTICATED`, or raises
`AuthenticationFailed` to close with another code (forbidden, not found, ...). Whatever it
sets on itself (`user`, `obj`, ...) stays available to the consumer as `self.authenticator`.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from http.cookies import SimpleCookie
from typing import Any, ClassVar
from urllib.parse import parse_qs

from chanx.core.close_codes import CloseCode

__all__ = ["AuthenticationFailed", "BaseAuthenticator"]


class AuthenticationFailed(Exception):
    """Raised by `authenticate()` to refuse a connection with a specific close code.

    Args:
        close_code: The code the connection is closed with.
        reason: A short reason sent to the client (at most 123 bytes; keep secrets out).
        status_code: HTTP-like status for the optional authentication frame.
    """

    def __init__(
        self,
        close_code: int = CloseCode.UNAUTHENTICATED,
        reason: str = "",
        status_code: int | None = None,
    ) -> None:
        super().__init__(reason or f"authentication failed (close code {int(close_code)})")
        self.close_code = int(close_code)
        self.reason = reason
        self.status_code = status_code if status_code is not None else _status_for(self.close_code)


def _status_for(close_code: int) -> int:
    return close_code - 4000 if 4400 <= close_code < 4600 else 500


class BaseAuthenticator:
    """Base for authenticators. Override `authenticate()`.

    Attributes:
        scope: The connection's ASGI scope.
        user: The authenticated user, when the authenticator sets one.
        uses_cookies: Whether cookies or a session can authenticate the connection. Such
            consumers refuse handshakes without an `Origin` header by default (a browser
            always sends one; see the Security page). Set True on cookie/session
            authenticators.
    """

    user: Any = None
    uses_cookies: ClassVar[bool] = False
    expires_at: float | None = None
    """When the credentials expire (Unix time), if they do. Set by `authenticate()` or
    `refresh()`; the runtime then closes the connection with 4401 at that moment."""
    refresh_action: ClassVar[str | None] = None
    """The action of the client message that carries fresh credentials (JSON text frames),
    served by `refresh()` before routing. None: the authenticator takes no refresh."""

    def __init__(self, scope: MutableMapping[str, Any]) -> None:
        self.scope = scope
        self._query: dict[str, list[str]] | None = None
        self._headers: dict[str, str] | None = None

    async def authenticate(self) -> bool:
        """Decide whether the connection may proceed. The base accepts every connection."""
        return True

    @classmethod
    def select_subprotocol(cls, scope: MutableMapping[str, Any]) -> str | None:
        """The subprotocol to accept the handshake with, chosen before authentication.

        Called once per connection before ``websocket.accept``. Return one of the
        client's offered ``scope["subprotocols"]`` (never a secret: it is echoed in the
        handshake response), or None to accept without one. The base returns None.
        """
        return None

    async def refresh(self, payload: Any) -> None:
        """Validate fresh credentials sent in a `refresh_action` message and adopt them.

        Args:
            payload: The message's ``payload``.

        Raises:
            AuthenticationFailed: The credentials are refused; the connection is closed
                with its code.
        """
        raise AuthenticationFailed(reason="refresh not supported")

    @property
    def query_params(self) -> Mapping[str, list[str]]:
        """The query string, parsed (each name maps to all its values)."""
        if self._query is None:
            raw = self.scope.get("query_string", b"")
            text = raw.decode("latin-1") if isinstance(raw, bytes) else str(raw)
            self._query = parse_qs(text, keep_blank_values=True)
        return self._query

    def get_query_param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter `name`, or `default`."""
        values = self.query_params.get(name)
        return values[0] if values else default

    @property
    def headers(self) -> Mapping[str, str]:
        """Request headers with lower-case names (repeated headers joined by commas)."""
        if self._headers is None:
            headers: dict[str, str] = {}
            for key, value in self.scope.get("headers", ()):
                name = key.decode("latin-1").lower()
                text = value.decode("latin-1")
                headers[name] = f"{headers[name]},{text}" if name in headers else text
            self._headers = headers
        return self._headers

    def get_header(self, name: str, default: str | None = None) -> str | None:
        """The value of header `name` (case-insensitive), or `default`."""
        return self.headers.get(name.lower(), default)

    @property
    def cookies(self) -> Mapping[str, str]:
        """Cookies sent with the handshake."""
        jar: SimpleCookie = SimpleCookie()
        raw = self.get_header("cookie")
        if raw:
            try:
                jar.load(raw)
            except Exception:
                return {}
        return {key: morsel.value for key, morsel in jar.items()}
