"""The WebSocket close codes chanx uses, in one table.

Codes below 4000 are the protocol's own (RFC 6455); 4000-4999 are chanx's application codes,
chosen to echo the matching HTTP status (4401 ~ 401) so they are easy to remember.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CloseCode", "should_reconnect"]


class CloseCode(IntEnum):
    """Close codes sent by chanx consumers."""

    NORMAL = 1000
    """The consumer or the client ended the session on purpose."""
    GOING_AWAY = 1001
    """The server is shutting down; reconnect later."""
    POLICY_VIOLATION = 1008
    """The connection broke a rule (for example a rejected origin)."""
    MESSAGE_TOO_BIG = 1009
    """A frame exceeded the size limit."""
    INTERNAL_ERROR = 1011
    """The server failed (for example an authenticator raised); see the server log."""
    UNAUTHENTICATED = 4401
    """Authentication failed or was missing."""
    FORBIDDEN = 4403
    """Authenticated, but not allowed."""
    NOT_FOUND = 4404
    """The object the connection is about does not exist."""
    RATE_LIMITED = 4429
    """The client sent frames faster than they are served (too many pending frames)."""


_RECONNECT = {
    CloseCode.NORMAL: False,
    CloseCode.GOING_AWAY: True,
    CloseCode.POLICY_VIOLATION: False,
    CloseCode.MESSAGE_TOO_BIG: False,
    CloseCode.INTERNAL_ERROR: True,
    CloseCode.UNAUTHENTICATED: False,
    CloseCode.FORBIDDEN: False,
    CloseCode.NOT_FOUND: False,
    CloseCode.RATE_LIMITED: True,
}


def should_reconnect(code: int) -> bool:
    """Whether a client that was closed with `code` should try to reconnect (with backoff)."""
    try:
        return _RECONNECT[CloseCode(code)]
    except ValueError:
        return code >= 4000 and code != CloseCode.NORMAL
