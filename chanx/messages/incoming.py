"""Messages that clients commonly send."""

from __future__ import annotations

from typing import Literal

from chanx.messages.base import BaseMessage

__all__ = ["PingMessage"]


class PingMessage(BaseMessage):
    """A liveness probe; the usual reply is `PongMessage`."""

    action: Literal["ping"] = "ping"
    payload: None = None
