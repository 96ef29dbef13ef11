"""Log correlation: every log record carries the current span's `trace_id` and `span_id`.

While a frame or an event is served its span is the current one (in the frame's own task and
context), so whatever a handler, chanx or a library logs meanwhile can be joined to the trace.
Outside a span both fields are `"0"`, so a format string such as
`"%(message)s trace=%(trace_id)s"` works for every record.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry import trace

__all__ = ["install_log_correlation"]

_lock = threading.Lock()
_installed = False


def install_log_correlation() -> None:
    """Wrap the logging record factory once per process to add `trace_id` / `span_id`."""
    global _installed
    with _lock:
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            context = trace.get_current_span().get_span_context()
            if context.is_valid:
                record.trace_id = format(context.trace_id, "032x")
                record.span_id = format(context.span_id, "016x")
            else:
                record.trace_id = record.span_id = "0"
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
