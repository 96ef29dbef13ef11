"""Per-connection protections: origin admission, frame size, message rate, per-user cap.

Each protection has a global default in `chanx.conf.settings` and a consumer class attribute
of the same name (`None`, the default, means "use the global setting"). They are resolved
once per connection, into a `Limits`, and never looked up again per message.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from chanx.conf import refresh, settings
from chanx.core.close_codes import CloseCode
from chanx.core.origin import AllowList, is_allowed, parse_allow_list, scope_headers
from chanx.core.safelog import RateLimitedLog, install_server_log_redaction

__all__ = ["ConnectionLimits", "Limits", "TokenBucket", "admit_origin", "resolve_limits"]

logger = logging.getLogger("chanx.security")
origin_warnings = RateLimitedLog(logger)
"""The rate-limited log of refused origins."""

_FORBIDDEN_BODY = b"Forbidden: this origin may not open WebSocket connections here.\n"


class ConnectionLimits:
    """Security settings a consumer class may override (None: use `chanx.conf.settings`).

    Attributes:
        allowed_origins: Origins accepted besides same-origin (see `chanx.core.origin`).
        allow_missing_origin: Accept handshakes without `Origin`; None decides by the
            authenticator's `uses_cookies`.
        max_frame_bytes: Largest client frame in bytes (else close 1009).
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
    send_timeout: ClassVar[float | None] = None
    rate_limit: ClassVar[float | None] = None
    rate_burst: ClassVar[int | None] = None
    auth_timeout: ClassVar[float | None] = None
    max_connections_per_user: ClassVar[int | None] = None
    shutdown_grace: ClassVar[float | None] = None

    _send_since: float = 0.0
    """When the send in progress started (`time.monotonic()`), 0.0 when none is blocked."""

    async def _admit_user(self) -> bool:
        """After authentication: take a per-user slot, or close with 4409 at the cap."""
        limits: Limits | None = self.__dict__.get("_limits")
        if limits is None or acquire_user_slot(self, limits.max_connections_per_user):
            return True
        close: Any = getattr(self, "close")  # noqa: B009 - provided by BaseConsumer
        await close(CloseCode.TOO_MANY_CONNECTIONS, "too many connections for this user")
        return False


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


def _pick(consumer: Any, name: str) -> Any:
    """The consumer's own value of `name`, else the global setting.

    None means "use the setting"; so does a value that only `BaseConsumer` itself defines
    (`max_pending_frames = 256`), which stands for the setting's default.
    """
    value = getattr(consumer, name, None)
    if value is None:
        return getattr(settings, name)
    if name not in consumer.__dict__:
        for klass in type(consumer).__mro__:
            if name in klass.__dict__:
                if klass.__module__ == "chanx.core.consumer" and klass.__name__ == "BaseConsumer":
                    return getattr(settings, name)
                break
    return value


def resolve_limits(consumer: Any) -> Limits:
    """Resolve `consumer`'s limits from its attributes and the global settings."""
    refresh()
    if settings.redact_server_logs:
        install_server_log_redaction()
    rate = _pick(consumer, "rate_limit")
    bucket = None
    if rate is not None:
        burst = _pick(consumer, "rate_burst") or max(1, int(rate * 2))
        bucket = TokenBucket(float(rate), int(burst))
    return Limits(
        max_frame_bytes=int(_pick(consumer, "max_frame_bytes")),
        max_pending_frames=int(_pick(consumer, "max_pending_frames")),
        send_timeout=float(_pick(consumer, "send_timeout")),
        auth_timeout=float(_pick(consumer, "auth_timeout")),
        max_connections_per_user=_pick(consumer, "max_connections_per_user"),
        shutdown_grace=float(_pick(consumer, "shutdown_grace")),
        bucket=bucket,
    )


@functools.lru_cache(maxsize=64)
def _allow_list(entries: tuple[str, ...]) -> AllowList:
    return parse_allow_list(entries)


def _allow_missing(consumer: Any) -> bool:
    value = getattr(consumer, "allow_missing_origin", None)
    if value is None:
        value = settings.allow_missing_origin
    if value is None:
        factory = consumer._plan.authenticator_factory
        return not bool(getattr(factory, "uses_cookies", False))
    return bool(value)


async def admit_origin(
    consumer: Any, send: Callable[[MutableMapping[str, Any]], Awaitable[None]]
) -> bool:
    """Check the handshake's `Origin`; refuse it before accept when not allowed.

    A refusal is a real HTTP 403 when the server supports the ASGI `websocket.http.response`
    extension (uvicorn, hypercorn), else a close before accept (which servers answer with 403).
    """
    scope = consumer.scope
    entries = _pick(consumer, "allowed_origins")
    headers = scope_headers(scope)
    ok, origin = is_allowed(
        headers,
        str(scope.get("scheme", "ws")),
        _allow_list(tuple(entries)),
        _allow_missing(consumer),
    )
    if ok:
        return True
    shown = str(origin) if origin is not None else ("missing" if "origin" not in headers else "?")
    origin_warnings.warning(
        "refused a WebSocket handshake from origin %s to %s (%s)",
        shown,
        scope.get("path", ""),
        type(consumer).__qualname__,
    )
    if "websocket.http.response" in (scope.get("extensions") or {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": _FORBIDDEN_BODY})
    else:
        await send({"type": "websocket.close", "code": int(CloseCode.POLICY_VIOLATION)})
    return False


_user_connections: dict[Any, int] = {}


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


def acquire_user_slot(consumer: Any, limit: int | None) -> bool:
    """Count one connection for `consumer.user`; False when the user is at `limit`."""
    if limit is None:
        return True
    key = user_key(consumer.user)
    if key is None:
        return True
    count = _user_connections.get(key, 0)
    if count >= limit:
        return False
    _user_connections[key] = count + 1
    consumer._chanx_user_slot = key
    return True


def release_user_slot(consumer: Any) -> None:
    """Give back the slot `acquire_user_slot` took, if any."""
    key = consumer.__dict__.pop("_chanx_user_slot", None)
    if key is None:
        return
    count = _user_connections.get(key, 0) - 1
    if count > 0:
        _user_connections[key] = count
    else:
        _user_connections.pop(key, None)
