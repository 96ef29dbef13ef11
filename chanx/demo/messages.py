"""The demo chat's protocol: what clients send, what they receive, and the server-side events.

Every frame is a JSON object routed on its `action` field:

| direction        | action              | payload                            |
|------------------|---------------------|------------------------------------|
| client -> server | `chat`              | `{"text": "..."}`                  |
| client -> server | `ping`              | `null`                             |
| server -> sender | `message_sent`      | `{"room", "user", "text"}` (ack)   |
| server -> others | `new_message`       | `{"room", "user", "text"}`         |
| server -> client | `pong`              | `null`                             |
| server -> room   | `user_joined`       | `{"room", "user"}`                 |
| server -> room   | `user_left`         | `{"room", "user"}`                 |
| server -> room   | `announcement`      | `{"room", "text"}`                 |
| server -> client | `error`             | `{"code", "message", "errors"}`    |

The member list is a topic: the page subscribes to `room/<room>` (its own room only), asks
for `members` on it and receives `member_list`, then `presence_join` / `presence_leave`
pushes as people come and go (`chanx.demo.app.RoomTopic`).

`UserJoined` and `UserLeft` are channel-layer events forwarded to clients unchanged;
`RoomAnnouncement` is an internal event that the consumer turns into an `Announcement`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from chanx.messages.base import BaseMessage

__all__ = [
    "MAX_NAME_LENGTH",
    "MAX_TEXT_LENGTH",
    "Announcement",
    "AnnouncementPayload",
    "AnnouncementText",
    "ChatMessage",
    "ChatPayload",
    "ChatText",
    "MemberList",
    "MembersRequest",
    "MessageSent",
    "NewMessage",
    "PresencePayload",
    "RoomAnnouncement",
    "UserJoined",
    "UserLeft",
]

MAX_NAME_LENGTH = 32
MAX_TEXT_LENGTH = 1000


# -- from clients ---------------------------------------------------------------------------


class ChatText(BaseModel):
    """What a client writes."""

    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class ChatMessage(BaseMessage):
    """A client posts a message to its room."""

    action: Literal["chat"] = "chat"
    payload: ChatText


# -- to clients -----------------------------------------------------------------------------


class ChatPayload(BaseModel):
    """A chat message as the room sees it."""

    room: str
    user: str
    text: str


class NewMessage(BaseMessage):
    """Someone else in the room posted a message."""

    action: Literal["new_message"] = "new_message"
    payload: ChatPayload


class MessageSent(BaseMessage):
    """Acknowledges the sender's own message, as the room received it."""

    action: Literal["message_sent"] = "message_sent"
    payload: ChatPayload


class AnnouncementPayload(BaseModel):
    """An announcement as the room sees it."""

    room: str
    text: str


class Announcement(BaseMessage):
    """An announcement posted over HTTP to the room."""

    action: Literal["announcement"] = "announcement"
    payload: AnnouncementPayload


# -- channel-layer events -------------------------------------------------------------------


class PresencePayload(BaseModel):
    """Who joined or left which room."""

    room: str
    user: str


class UserJoined(BaseMessage):
    """Someone joined the room (forwarded to clients as is)."""

    action: Literal["user_joined"] = "user_joined"
    payload: PresencePayload


class UserLeft(BaseMessage):
    """Someone left the room (forwarded to clients as is)."""

    action: Literal["user_left"] = "user_left"
    payload: PresencePayload


class AnnouncementText(BaseModel):
    """What the HTTP endpoint accepts, and what its event carries."""

    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH)


class RoomAnnouncement(BaseMessage):
    """Sent by the HTTP endpoint; each consumer in the room turns it into an `Announcement`."""

    action: Literal["room_announcement"] = "room_announcement"
    payload: AnnouncementText


# -- the room topic (member list) -----------------------------------------------------------


class MembersRequest(BaseMessage):
    """Ask who is in the room (sent on the `room/<room>` topic)."""

    action: Literal["members"] = "members"
    payload: None = None


class MemberList(BaseMessage):
    """The names of everyone connected to the room, sorted."""

    action: Literal["member_list"] = "member_list"
    payload: list[str]
