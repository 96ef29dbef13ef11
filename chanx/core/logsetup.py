"""Errors and warnings that reach stderr when nothing else would show them.

chanx catches its users' exceptions (a handler that raises becomes an `internal_error` frame),
so it must not also hide them. Importing chanx adds only a `NullHandler` to the `chanx`
logger, as a library should. When chanx starts serving (the first connection, the first
request to a documentation endpoint), `ensure_visible()` adds one `FallbackHandler` to the
`chanx` logger: it writes WARNING and ERROR records to stderr, *but only when no other
handler would receive the record*. It decides per record, at emit time, so:

- plain `uvicorn app:app` (uvicorn configures only its own `uvicorn.*` loggers) and
  `manage.py runserver` with Django's default `LOGGING` (only `django.*`) show chanx's
  warnings and errors on stderr, with tracebacks;
- daphne (which configures the root logger) and any project whose logging configuration
  reaches chanx's records (a root handler, a `chanx` or `chanx.<module>` handler, at any
  level) see each line once, from their own handlers: the fallback steps aside, even when
  that configuration happens after the first connection.

`remove_fallback()` removes it for good (chanx's records then go only where the logging
configuration sends them).
"""

from __future__ import annotations

import logging
import sys

__all__ = ["FallbackHandler", "ensure_visible", "fallback_handler", "remove_fallback"]

FORMAT = "%(levelname)-9s %(name)s: %(message)s"
"""The fallback's line format (close to uvicorn's own `LEVEL:    message`)."""


class FallbackHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes a chanx record to stderr when no other handler would receive it."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setLevel(logging.WARNING)
        self.setFormatter(logging.Formatter(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        """Write `record`, unless a handler configured by the application receives it."""
        if _someone_else_handles(record):
            return
        self.stream = sys.stderr  # follow a replaced sys.stderr (pytest's capture, daemons)
        super().emit(record)


_fallback: FallbackHandler | None = None
_removed = False


def _someone_else_handles(record: logging.LogRecord) -> bool:
    """Whether a handler other than the fallback and `NullHandler`s takes `record`."""
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        for handler in logger.handlers:
            if handler is not _fallback and not isinstance(handler, logging.NullHandler):
                return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


def ensure_visible() -> None:
    """Add the fallback handler to the `chanx` logger (once per process)."""
    global _fallback
    if _fallback is not None or _removed:
        return
    _fallback = FallbackHandler()
    logging.getLogger("chanx").addHandler(_fallback)


def fallback_handler() -> FallbackHandler | None:
    """The installed fallback handler, if any."""
    return _fallback


def remove_fallback() -> None:
    """Remove the fallback handler for good; records go only where logging sends them."""
    global _fallback, _removed
    _removed = True
    if _fallback is not None:
        logging.getLogger("chanx").removeHandler(_fallback)
        _fallback = None
