"""Messages of the topic protocol: subscribing, leaving, errors and presence pushes.

A client addresses a topic with envelope keys that travel next to the message on the same
flat frame (`version`, `topic`, `ref`); see `chanx.core.topics.envelope`. These messages are
what the client and the server exchange to join and leave a topic, and what presence pushes
look like.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from chanx.messages.base import BaseMessage

__all__ = [
    "PresenceJoinMessage",
    "PresenceLeaveMessage",
    "PresenceMember",
    "Since",
    "SubscribeMessage",
    "SubscribedMessage",
    "TopicErrorMessage",
    "TopicErrorPayload",
    "UnsubscribeMessage",
    "UnsubscribedMessage",
]


class Since(BaseModel):
    """Where a client's copy of a topic ends: the last offset it saw, in which epoch."""

    offset: int
    epoch: str


class SubscribeMessage(BaseMessage):
    """Ask to subscribe to the topic named by the frame's `topic` key.

    With `since`, the client resumes: it first receives every push it missed after
    `since.offset`, in order, then the live pushes.
    """

    action: Literal["subscribe"] = "subscribe"
    payload: None = None
    since: Since | None = None


class SubscribedMessage(BaseMessage):
    """Confirms a subscription.

    The frame also carries the topic's current `offset` and `epoch` next to the envelope,
    and `recovered` when the subscribe asked to resume (`false`: the history no longer
    covers what was missed; the client should reload its state).
    """

    action: Literal["subscribed"] = "subscribed"
    payload: None = None


class UnsubscribeMessage(BaseMessage):
    """Ask to unsubscribe from the topic named by the frame's `topic` key."""

    action: Literal["unsubscribe"] = "unsubscribe"
    payload: None = None


class UnsubscribedMessage(BaseMessage):
    """Confirms that the connection left a topic."""

    action: Literal["unsubscribed"] = "unsubscribed"
    payload: None = None


class TopicErrorPayload(BaseModel):
    """Why a topic-addressed frame could not be served.

    `reason` is one of `unknown_topic`, `unauthorized`, `not_subscribed`,
    `too_many_subscriptions`, `subscribe_rate_limited`.
    """

    reason: str
    detail: str


class TopicErrorMessage(BaseMessage):
    """Sent (with the frame's `topic` and `ref`) when a topic frame cannot be served."""

    action: Literal["error"] = "error"
    payload: TopicErrorPayload


class PresenceMember(BaseModel):
    """One connection subscribed to a topic, with the info its topic attached to it."""

    id: str
    info: dict[str, Any] | None = None


class PresenceJoinMessage(BaseMessage):
    """Pushed to a topic's subscribers when a connection joins it (`presence_events`)."""

    action: Literal["presence_join"] = "presence_join"
    payload: PresenceMember


class PresenceLeaveMessage(BaseMessage):
    """Pushed to a topic's subscribers when a connection leaves it, or its process died."""

    action: Literal["presence_leave"] = "presence_leave"
    payload: PresenceMember
