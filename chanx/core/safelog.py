"""Safe logging: secrets redacted from URLs, repeated warnings rate-limited.

chanx's own log lines never carry a query string unredacted. Servers log the request line
themselves (uvicorn: `"WebSocket /ws?token=..." [accepted]` at INFO), so `RedactingFilter`
can be attached to their loggers; chanx does that by default at the first connection
(`redact_server_logs` setting), for uvicorn's and daphne's loggers.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from typing import Any

__all__ = [
    "RateLimitedLog",
    "RedactingFilter",
    "install_server_log_redaction",
    "redact",
    "redact_query",
]

SERVER_LOGGERS = (
    "uvicorn.error",
    "uvicorn.access",
    "daphne.server",
    "daphne.ws_protocol",
    "daphne.http_protocol",
    "django.channels.server",
)
"""Loggers that `install_server_log_redaction` filters."""

_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}


def _pattern(names: Iterable[str] | None) -> re.Pattern[str]:
    if names is None:
        from chanx.conf import settings

        names = settings.sensitive_params
    key = tuple(names)
    found = _patterns.get(key)
    if found is None:
        words = "|".join(re.escape(n) for n in key) or "(?!)"
        found = re.compile(
            rf"""((?:^|[?&;])[^=&;\s#"'?]*(?:{words})[^=&;\s#"'?]*=)[^&;\s#"']*""", re.IGNORECASE
        )
        _patterns[key] = found
    return found


def redact(text: str, names: Iterable[str] | None = None) -> str:
    """`text` with the values of sensitive query parameters replaced by `***`.

    Args:
        text: A URL, a path with query string, or a log line containing one.
        names: Parameter name fragments that count as sensitive (case-insensitive);
            the `sensitive_params` setting by default.
    """
    if "=" not in text:
        return text
    return _pattern(names).sub(r"\1***", text)


def redact_query(query: bytes | str, names: Iterable[str] | None = None) -> str:
    """A scope's `query_string`, decoded and redacted."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    return redact(text, names)


def scope_path(scope: Any) -> str:
    """The scope's path with its query string redacted, for log lines."""
    path = str(scope.get("path", ""))
    query = scope.get("query_string", b"")
    return f"{path}?{redact_query(query)}" if query else path


class RedactingFilter(logging.Filter):
    """A `logging.Filter` that redacts query-string secrets in a record's message.

    Attach it to a logger (`logging.getLogger("uvicorn.error").addFilter(RedactingFilter())`)
    or to a handler. It formats the message once and stores the redacted text.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        try:
            message = record.getMessage()
        except Exception:
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_installed: RedactingFilter | None = None


def install_server_log_redaction() -> None:
    """Attach one `RedactingFilter` to each of `SERVER_LOGGERS` (idempotent)."""
    global _installed
    if _installed is not None:
        return
    _installed = RedactingFilter()
    for name in SERVER_LOGGERS:
        logging.getLogger(name).addFilter(_installed)


class RateLimitedLog:
    """Logs a repeated warning at most once per `interval` seconds, counting the rest.

    Args:
        logger: Where to log.
        interval: Seconds between two lines.
    """

    __slots__ = ("_next", "_suppressed", "interval", "logger")

    def __init__(self, logger: logging.Logger, interval: float = 10.0) -> None:
        self.logger = logger
        self.interval = interval
        self._next = 0.0
        self._suppressed = 0

    def warning(self, message: str, *args: Any, **extra: Any) -> bool:
        """Log `message % args` unless one was logged within the interval. True if logged."""
        now = time.monotonic()
        if now < self._next:
            self._suppressed += 1
            return False
        self._next = now + self.interval
        if self._suppressed:
            message += " (%d similar warnings suppressed)"
            args = (*args, self._suppressed)
            self._suppressed = 0
        self.logger.warning(message, *args, extra=extra or None)
        return True

    def reset(self) -> None:
        """Forget the interval (for tests)."""
        self._next = 0.0
        self._suppressed = 0


_field_names: dict[int, tuple[Any, frozenset[str]]] = {}


def safe_loc(loc: Iterable[str | int], adapter: Any) -> list[str | int]:
    """A validation error's location without input echoes.

    Steps that are field names (or aliases) of the validated types and list indices stay;
    anything else (a client's own dict keys) becomes `"*"`.
    """
    entry = _field_names.get(id(adapter))
    if entry is None or entry[0] is not adapter:
        entry = _field_names[id(adapter)] = (adapter, _collect_names(adapter))
    names = entry[1]
    return [step if isinstance(step, int) or step in names else "*" for step in loc]


def _collect_names(adapter: Any) -> frozenset[str]:
    names: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                names.update(str(key) for key in properties)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for by_alias in (True, False):
        try:
            walk(adapter.json_schema(by_alias=by_alias))
        except Exception:
            return frozenset(names)
    return frozenset(names)
