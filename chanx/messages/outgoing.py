"""Messages that chanx and consumers send to clients."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from chanx.messages.base import BaseMessage

__all__ = [
    "AuthenticationMessage",
    "AuthenticationPayload",
    "CompleteMessage",
    "ErrorDetail",
    "ErrorMessage",
    "ErrorPayload",
    "EventCompleteMessage",
    "GroupCompleteMessage",
    "PongMessage",
]


class PongMessage(BaseMessage):
    """The reply to `PingMessage`."""

    action: Literal["pong"] = "pong"
    payload: None = None


class ErrorDetail(BaseModel):
    """One validation problem: where it is and what is wrong (never the offending input)."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorPayload(BaseModel):
    """Body of an error frame.

    `code` is one of `invalid_json`, `invalid_frame`, `missing_action`, `unknown_action`,
    `invalid_message`, `internal_error`, or a code of the application's own.
    """

    code: str
    message: str
    errors: list[ErrorDetail] | None = None


class ErrorMessage(BaseMessage):
    """Sent when a frame cannot be served; the connection stays open."""

    action: Literal["error"] = "error"
    payload: ErrorPayload


class AuthenticationPayload(BaseModel):
    """Outcome of authentication, sent when `send_authentication_message` is on."""

    status_code: int
    status_text: str
    data: Any = None


class AuthenticationMessage(BaseMessage):
    """Tells the client whether it was authenticated, before any other frame."""

    action: Literal["authentication"] = "authentication"
    payload: AuthenticationPayload


class CompleteMessage(BaseMessage):
    """Completion signal: the consumer finished serving one client frame."""

    action: Literal["complete"] = "complete"
    payload: None = None


class EventCompleteMessage(BaseMessage):
    """Completion signal: the consumer finished serving one channel-layer event."""

    action: Literal["event_complete"] = "event_complete"
    payload: None = None


class GroupCompleteMessage(BaseMessage):
    """Completion signal: the consumer finished relaying one group broadcast."""

    action: Literal["group_complete"] = "group_complete"
    payload: None = None
