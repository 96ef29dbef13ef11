"""Messages and events of the chat example (the seed guide's names)."""

from typing import Literal

from pydantic import BaseModel

from chanx.messages.base import BaseChannelEvent, BaseMessage


class ChatPayload(BaseModel):
    message: str


class ChatMessage(BaseMessage):
    action: Literal["chat"] = "chat"
    payload: ChatPayload


class ChatNotificationPayload(BaseModel):
    message: str
    username: str
    room_id: int


class ChatNotificationMessage(BaseMessage):
    action: Literal["chat_notification"] = "chat_notification"
    payload: ChatNotificationPayload


class UserPayload(BaseModel):
    username: str


class UserJoinedEvent(BaseChannelEvent):
    handler: Literal["user_joined"] = "user_joined"
    payload: UserPayload


class UserJoinedPayload(BaseModel):
    username: str
    message: str


class UserJoinedMessage(BaseMessage):
    action: Literal["user_joined"] = "user_joined"
    payload: UserJoinedPayload


class SystemAnnouncementEvent(BaseMessage):
    action: Literal["system_announcement"] = "system_announcement"
    payload: str


class NewPostEvent(BaseMessage):
    action: Literal["new_post"] = "new_post"
    payload: dict[str, object]


class PaymentCompleteEvent(BaseMessage):
    action: Literal["payment_complete"] = "payment_complete"
    payload: dict[str, object]
