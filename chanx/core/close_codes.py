"""The WebSocket close codes chanx uses, in one table.

Codes below 4000 are the protocol's own (RFC 6455); 4000-4999 are chanx's application codes,
chosen to echo the matching HTTP status (4401 ~ 401) where one fits. Every close chanx sends
goes through `BaseConsumer.close()`, which clips the reason with `clip_reason` to the
protocol's 123-byte limit.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["MAX_REASON_BYTES", "CloseCode", "clip_reason", "for_server", "should_reconnect"]

MAX_REASON_BYTES = 123
"""A close frame's reason may hold at most 123 bytes of UTF-8 (RFC 6455, 5.5)."""


class CloseCode(IntEnum):
    """Close codes sent by chanx consumers."""

    NORMAL = 1000
    """The consumer or the client ended the session on purpose."""
    GOING_AWAY = 1001
    """The server is shutting down; reconnect later."""
    INVALID_PAYLOAD = 1007
    """Sent by the server itself for a text frame that is not valid UTF-8."""
    POLICY_VIOLATION = 1008
    """The connection broke a rule (a refused origin, when closed before accept)."""
    MESSAGE_TOO_BIG = 1009
    """A frame exceeded `max_frame_bytes`."""
    INTERNAL_ERROR = 1011
    """The server failed (for example an authenticator raised); see the server log."""
    SERVICE_RESTART = 1012
    """Sent by uvicorn itself to every open socket when it shuts down; reconnect later."""
    UNAUTHENTICATED = 4401
    """Authentication failed or was missing."""
    FORBIDDEN = 4403
    """Authenticated, but not allowed."""
    NOT_FOUND = 4404
    """The object the connection is about does not exist."""
    AUTH_TIMEOUT = 4408
    """Authentication and joining took longer than `auth_timeout`."""
    TOO_MANY_CONNECTIONS = 4409
    """The user already holds `max_connections_per_user` connections."""
    RATE_LIMITED = 4429
    """The client sent frames faster than `rate_limit`, or more than `max_pending_frames`
    waited to be served."""
    SLOW_CONSUMER = 4499
    """The client did not read its frames within `send_timeout`; the connection was aborted
    (the client, not reading, usually sees only the TCP connection drop)."""


_RECONNECT = {
    CloseCode.NORMAL: False,
    CloseCode.GOING_AWAY: True,
    CloseCode.INVALID_PAYLOAD: False,
    CloseCode.POLICY_VIOLATION: False,
    CloseCode.MESSAGE_TOO_BIG: False,
    CloseCode.INTERNAL_ERROR: True,
    CloseCode.SERVICE_RESTART: True,
    CloseCode.UNAUTHENTICATED: False,
    CloseCode.FORBIDDEN: False,
    CloseCode.NOT_FOUND: False,
    CloseCode.AUTH_TIMEOUT: True,
    CloseCode.TOO_MANY_CONNECTIONS: True,
    CloseCode.RATE_LIMITED: True,
    CloseCode.SLOW_CONSUMER: True,
}


def should_reconnect(code: int) -> bool:
    """Whether a client that was closed with `code` should try to reconnect (with backoff).

    On daphne, protocol codes arrive moved into the application range (see `for_server`):
    4009 is answered like 1009.
    """
    try:
        return _RECONNECT[CloseCode(code)]
    except ValueError:
        if 4001 <= code <= 4015:
            return should_reconnect(code - 3000)
        return code >= 4000 and code != CloseCode.NORMAL


def for_server(code: int, send: object) -> int:
    """The close code to hand to the server behind ASGI `send`.

    daphne (through autobahn) only lets an application send 1000 and 3000-4999 and raises on
    any other code, leaving the socket open. There, a protocol code moves into the
    application range: 1001 -> 4001, 1008 -> 4008, 1009 -> 4009, 1011 -> 4011.
    """
    if code == 1000 or 3000 <= code <= 4999:
        return code
    func = getattr(send, "func", None)  # daphne's send is partial(server.handle_reply, ...)
    if getattr(func, "__module__", "").startswith("daphne."):
        return 4000 + code - 1000
    return code


def clip_reason(reason: str) -> str:
    """`reason`, cut at a character boundary to fit the 123-byte limit of a close frame."""
    if len(reason) <= MAX_REASON_BYTES // 4:
        return reason
    data = reason.encode("utf-8", "replace")
    if len(data) <= MAX_REASON_BYTES:
        return data.decode("utf-8")
    return data[:MAX_REASON_BYTES].decode("utf-8", "ignore")
