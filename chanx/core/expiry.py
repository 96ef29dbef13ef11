"""Credential lifetime: close at expiry with 4401, unless the client refreshes in time.

An authenticator that sets `expires_at` (Unix time) gets a timer on the connection's loop
when authentication succeeds; at that moment the consumer closes with
`CloseCode.UNAUTHENTICATED` ("credentials expired"). An authenticator with a
`refresh_action` also accepts a client message ``{"action": <refresh_action>, "payload":
...}``: the runtime hands its payload to `refresh()` and, if accepted, re-arms the timer and
answers with an ``authentication`` frame (status 200, "Credentials refreshed"). A refused
refresh closes the connection with the failure's code (4401 by default).

The refresh message is looked for only when a frame matched no handler (``unknown_action``),
so consumers pay nothing per frame for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from chanx.core.close_codes import CloseCode

if TYPE_CHECKING:
    from chanx.core.consumer import BaseConsumer

__all__ = ["arm", "disarm", "try_refresh"]

logger = logging.getLogger("chanx.consumer")

EXPIRED_REASON = "credentials expired"


def arm(consumer: BaseConsumer[Any]) -> None:
    """(Re)schedule the close at the authenticator's `expires_at`, if it has one."""
    disarm(consumer)
    expires_at = getattr(consumer.authenticator, "expires_at", None)
    if expires_at is None:
        return
    loop = asyncio.get_running_loop()
    delay = max(0.0, float(expires_at) - time.time())
    consumer._expiry = loop.call_later(delay, _expire, consumer)


def disarm(consumer: BaseConsumer[Any]) -> None:
    """Cancel the expiry timer (at disconnect, or before re-arming)."""
    handle = consumer._expiry
    if handle is not None:
        handle.cancel()
        consumer._expiry = None


def _expire(consumer: BaseConsumer[Any]) -> None:
    consumer._expiry = None
    logger.info("%s: credentials expired; closing", type(consumer).__qualname__)
    task = asyncio.ensure_future(consumer.close(CloseCode.UNAUTHENTICATED, EXPIRED_REASON))
    consumer._expiry_close = task


async def try_refresh(consumer: BaseConsumer[Any], text: str | bytes) -> bool:
    """Serve `text` if it is the authenticator's refresh message; False if it is not."""
    authenticator = consumer.authenticator
    action = getattr(authenticator, "refresh_action", None)
    if action is None:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    if not isinstance(data, dict) or data.get(consumer._plan.discriminator_field) != action:
        return False
    from chanx.core.authenticator import AuthenticationFailed

    try:
        await authenticator.refresh(data.get("payload"))
    except AuthenticationFailed as failure:
        disarm(consumer)
        await consumer._refuse(failure.close_code, failure.status_code, failure.reason)
        return True
    except Exception:
        logger.exception("authenticator %s.refresh raised", type(authenticator).__qualname__)
        disarm(consumer)
        await consumer._refuse(CloseCode.INTERNAL_ERROR, 500, "")
        return True
    arm(consumer)
    await consumer._send_auth_frame(200, "Credentials refreshed")
    return True
