"""What happens when a handler fails: one ERROR record with context, one correlated reply.

A handler that raises (or returns something that is not a message) gets the client a generic
`internal_error` frame; the traceback goes to the `chanx.consumer` logger at ERROR, with the
consumer, handler, action and connection id both in the text and in the record's `extra`
fields (see docs/logging.md), so JSON and structlog handlers can index them.

When the client's frame carried a correlation value, `ref` (or else `id`), the error frame
echoes it under the same name, so a client can match the failure to its request. The raw
frame is parsed again only on this failure path; serving a frame never pays for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from chanx.core.codec import Frame

if TYPE_CHECKING:
    from chanx.core.consumer import BaseConsumer
    from chanx.core.plan import ConsumerPlan

__all__ = ["CORRELATION_KEYS", "error_frame", "log_failure"]

logger = logging.getLogger("chanx.consumer")

CORRELATION_KEYS = ("ref", "id")
"""Fields of a client frame echoed in its `internal_error` reply, first found wins."""

_MAX_REF_CHARS = 200


def log_failure(
    consumer: BaseConsumer[Any],
    func: Callable[..., Any],
    message: Any,
    problem: str,
    *,
    exc_info: bool = True,
) -> None:
    """Log a handler's failure at ERROR, with the fields of docs/logging.md in `extra`."""
    plan = consumer._plan
    handler = getattr(func, "__name__", "handler")
    action = getattr(message, plan.discriminator_field, None)
    if action is None:  # events may route on their own field (`handler`)
        action = getattr(message, getattr(message, "discriminator_field", ""), None)
    connection = consumer.__dict__.get("connection")
    connection_id = getattr(connection, "id", None)
    logger.error(
        "%s.%s %s (action %r, connection %s)",
        type(consumer).__qualname__,
        handler,
        problem,
        action,
        connection_id,
        exc_info=exc_info,
        extra={
            "consumer": plan.consumer,
            "handler": handler,
            "action": action,
            "connection_id": connection_id,
        },
    )


def error_frame(plan: ConsumerPlan, raw: MutableMapping[str, Any] | None) -> Frame:
    """The `internal_error` frame for a failed client frame, echoing its `ref` or `id`."""
    if raw is None:
        return plan.internal_error_frame
    found = _correlation(plan, raw)
    if found is None:
        return plan.internal_error_frame
    key, value = found
    codec = plan.codec
    try:
        data = codec.incoming(codec.loads(plan.internal_error_frame))
        data[key] = value
        return codec.encode_data(data)
    except Exception:  # a formatter that cannot carry the field: send the plain frame
        logger.debug("%s: could not echo %r in an error frame", plan.consumer, key)
        return plan.internal_error_frame


def _correlation(plan: ConsumerPlan, raw: MutableMapping[str, Any]) -> tuple[str, Any] | None:
    frame = raw.get("text")
    if frame is None:
        frame = raw.get("bytes")
    if frame is None:
        return None
    try:
        data = plan.codec.loads(frame)
    except Exception:
        return None
    if not isinstance(data, dict):
        return None
    for key in CORRELATION_KEYS:
        value = data.get(key)
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int) or (isinstance(value, str) and len(value) <= _MAX_REF_CHARS):
            return key, value
    return None
