"""Per-connection protections: origin admission, frame size, message rate, per-user cap.

Each protection has a global default in `chanx.conf.settings` and a consumer class attribute
of the same name (`None`, the default, means "use the global setting"). They are resolved
once per connection, into a `Limits`, and never looked up again per message.
"""

from __future__ import annotations

import functools
import time
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from chanx.conf import refresh, settings, value_for
from chanx.core.close_codes import CloseCode
from chanx.core.connection import Connection
from chanx.core.logsetup import ensure_visible
from chanx.core.origin import AllowList, is_allowed, parse_allow_list, scope_headers
from chanx.core.process import state
from chanx.core.safelog import install_server_log_redaction

__all__ = [
    "ConnectionLimits",
    "Limits",
    "TokenBucket",
    "acquire_user_slot",
    "admit_origin",
    "release_user_slot",
    "resolve_limits",
]


class ConnectionLimits:
    """Security settings a consumer class may override (None: use `chanx.conf.settings`).

    Attributes:
        allowed_origins: Origins accepted besides same-origin (see `chanx.core.origin`).
        allow_missing_origin: Accept handshakes without `Origin`; None decides by the
            authenticator's `uses_cookies`.
        max_frame_bytes: Largest client frame in bytes (else close 1009).
        max_pending_frames: Client frames that may wait while a handler is busy; while
            that many wait, the server stops reading the socket (TCP slows the client).
        send_timeout: Seconds a send may stay blocked before a slow-consumer abort (4499).
        rate_limit: Sustained client frames per second (else close 4429); None: no limit.
        rate_burst: Frames that may arrive at once under `rate_limit`.
        auth_timeout: Seconds to authenticate and join (else close 4408).
        max_connections_per_user: Open connections per user in this process (else 4409).
        shutdown_grace: Seconds a running handler may take to finish at shutdown.
    """

    allowed_origins: ClassVar[Sequence[str] | None] = None
    allow_missing_origin: ClassVar[bool | None] = None
    max_frame_bytes: ClassVar[int | None] = None
    max_pending_frames: ClassVar[int | None] = None
    send_timeout: ClassVar[float | None] = None
    rate_limit: ClassVar[float | None] = None
    rate_burst: ClassVar[int | None] = None
    auth_timeout: ClassVar[float | None] = None
    max_connections_per_user: ClassVar[int | None] = None
    shutdown_grace: ClassVar[float | None] = None


class TokenBucket:
    """A token bucket: `rate` tokens per second, at most `burst` saved up."""

    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        """Spend one token; False when the bucket is empty."""
        now = time.monotonic()
        tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens < 1.0:
            self.tokens = tokens
            return False
        self.tokens = tokens - 1.0
        return True


@dataclass(slots=True)
class Limits:
    """One connection's resolved limits."""

    max_frame_bytes: int
    max_pending_frames: int
    send_timeout: float
    auth_timeout: float
    max_connections_per_user: int | None
    shutdown_grace: float
    bucket: TokenBucket | None

    def frame_too_big(self, message: MutableMapping[str, Any]) -> bool:
        """Whether an ASGI receive message carries more than `max_frame_bytes`."""
        limit = self.max_frame_bytes
        text = message.get("text")
        if text is not None:
            size = len(text)  # characters: a UTF-8 byte count is 1x-4x that
            if size <= limit >> 2:
                return False
            return size > limit or len(text.encode("utf-8", "surrogatepass")) > limit
        data = message.get("bytes")
        return data is not None and len(data) > limit


def resolve_limits(consumer: Any) -> Limits:
    """Resolve `consumer`'s limits from its attributes and the global settings."""
    refresh()
    ensure_visible()
    if settings.redact_server_logs:
        install_server_log_redaction()
    rate = value_for(consumer, "rate_limit")
    bucket = None
    if rate is not None:
        burst = value_for(consumer, "rate_burst") or max(1, int(rate * 2))
        bucket = TokenBucket(float(rate), int(burst))
    return Limits(
        max_frame_bytes=int(value_for(consumer, "max_frame_bytes")),
        max_pending_frames=int(value_for(consumer, "max_pending_frames")),
        send_timeout=float(value_for(consumer, "send_timeout")),
        auth_timeout=float(value_for(consumer, "auth_timeout")),
        max_connections_per_user=value_for(consumer, "max_connections_per_user"),
        shutdown_grace=float(value_for(consumer, "shutdown_grace")),
        bucket=bucket,
    )


@functools.lru_cache(maxsize=64)
def _allow_list(entries: tuple[str, ...]) -> AllowList:
    return parse_allow_list(entries)


def _allow_missing(consumer: Any, authenticator: Any) -> bool:
    value = getattr(consumer, "allow_missing_origin", None)
    if value is None:
        value = settings.allow_missing_origin
    if value is None:
        return not bool(getattr(authenticator, "uses_cookies", False))
    return bool(value)


async def admit_origin(consumer: Any, connection: Connection, authenticator: Any) -> bool:
    """Check the handshake's `Origin`; refuse it before accept when not allowed.

    A refusal is a close before accept, which the server answers with HTTP 403.
    """
    scope = consumer.scope
    entries = value_for(consumer, "allowed_origins")
    headers = scope_headers(scope)
    ok, origin = is_allowed(
        headers,
        str(scope.get("scheme", "ws")),
        _allow_list(tuple(entries)),
        _allow_missing(consumer, authenticator),
    )
    if ok:
        return True
    missing = "origin" not in headers
    shown = str(origin) if origin is not None else ("missing" if missing else "?")
    state.origin_warnings.warning(
        "refused a WebSocket handshake from origin %s to %s (%s): %s",
        shown,
        scope.get("path", ""),
        type(consumer).__qualname__,
        _how_to_admit(origin, missing, headers.get("origin")),
        origin=shown,
        path=str(scope.get("path", "")),
        consumer=type(consumer).__qualname__,
        connection_id=connection.id,
    )
    # A close before accept, which every server answers with HTTP 403 and logs quietly;
    # uvicorn logs "ASGI callable returned without completing handshake" at ERROR after a
    # `websocket.http.response` refusal, which would let anyone fill the logs.
    await connection.close(CloseCode.POLICY_VIOLATION)
    return False


def _how_to_admit(origin: Any, missing: bool, raw: str | None) -> str:
    """Which setting would admit the refused handshake (said in the warning)."""
    if missing:
        return (
            "no Origin header (not a browser) and the consumer's authenticator uses cookies; "
            "set allow_missing_origin=True to accept such clients"
        )
    if origin is None and raw is not None and raw.strip() == "null":
        return 'a sandboxed or file: page; add "null" to allowed_origins to accept it'
    if origin is None:
        return "the Origin header is malformed (a path, user info, a bad host or repeated)"
    return (
        f"to accept it (a front-end dev server on another port, say), add {str(origin)!r} to "
        f"allowed_origins: chanx.configure(allowed_origins=[...]), "
        f'settings.CHANX["ALLOWED_ORIGINS"] on Django, or the consumer\'s allowed_origins '
        f"attribute"
    )


def user_key(user: Any) -> Any:
    """A hashable identity for an authenticated user, or None for anonymous/no user."""
    if user is None or getattr(user, "is_anonymous", False) is True:
        return None
    if getattr(user, "is_authenticated", True) is False:
        return None
    for name in ("pk", "id"):
        value = getattr(user, name, None)
        if value is not None:
            return (name, value)
    return ("str", str(user))


def acquire_user_slot(connection: Connection, user: Any, limit: int | None) -> bool:
    """Count `connection` for `user`; False when the user already holds `limit` connections."""
    if limit is None:
        return True
    key = user_key(user)
    if key is None:
        return True
    counts = state.user_connections
    count = counts.get(key, 0)
    if count >= limit:
        return False
    counts[key] = count + 1
    connection.user_slot = key
    return True


def release_user_slot(connection: Connection) -> None:
    """Give back the slot `acquire_user_slot` took, if any."""
    key, connection.user_slot = connection.user_slot, None
    if key is None:
        return
    counts = state.user_connections
    count = counts.get(key, 0) - 1
    if count > 0:
        counts[key] = count
    else:
        counts.pop(key, None)
