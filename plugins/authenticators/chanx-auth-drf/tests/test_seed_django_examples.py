"""The seed guide's Django examples, as written (indentation restored), on a real project.

`shared/seed/consumers-and-decorators.txt` shows a chat authenticator with
``permission_classes`` and ``queryset``, a consumer joining ``room_{id}`` in
``post_authentication``, and the "Complete Example" room chat. Their code is copied here
unchanged; tests mount them with completion signals on and drive them through the project's
session login (``AuthMiddlewareStack``).
"""

from __future__ import annotations

from typing import Any, Literal

from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from chat.models import ChatRoom
from django.urls import path
from pydantic import BaseModel
from rest_framework.permissions import IsAuthenticated

from chanx.channels.authenticator import DjangoAuthenticator
from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.decorators import channel, event_handler, ws_handler
from chanx.messages.base import BaseChannelEvent, BaseMessage
from chanx.testing.django import ChanxWebsocketTestCase, WebsocketCommunicator

# -- "Authentication Integration", Django example ----------------------------------------------


class ChatAuthenticator(DjangoAuthenticator):
    permission_classes = [IsAuthenticated]
    # Optional: object-level permissions
    queryset = ChatRoom.objects.all()
    obj: ChatRoom


@channel(name="chat")
class ChatConsumer(AsyncJsonWebsocketConsumer):
    authenticator_class = ChatAuthenticator
    authenticator: ChatAuthenticator  # Type hint

    async def post_authentication(self) -> None:
        """Called after successful authentication."""
        # Access authenticated user and object
        user = self.authenticator.user  # noqa: F841
        room = self.authenticator.obj  # If using object-level auth
        # Join room-specific group
        await self.channel_layer.group_add(f"room_{room.id}", self.channel_name)


# -- "Complete Example: Chat Consumer" (messages the guide leaves undefined, defined minimally) --


class ChatPayload(BaseModel):
    message: str


class JoinRoomPayload(BaseModel):
    room: str


class UserPayload(BaseModel):
    username: str


class ChatNotificationPayload(BaseModel):
    message: str
    username: str
    room_id: int


class ChatNotificationMessage(BaseMessage):
    action: Literal["chat_notification"] = "chat_notification"
    payload: ChatNotificationPayload


class UserJoinedPayload(BaseModel):
    username: str
    message: str


class UserJoinedMessage(BaseMessage):
    action: Literal["user_joined"] = "user_joined"
    payload: UserJoinedPayload


# Messages
class ChatMessage(BaseMessage):
    action: Literal["chat"] = "chat"
    payload: ChatPayload


class JoinRoomMessage(BaseMessage):
    action: Literal["join_room"] = "join_room"
    payload: JoinRoomPayload


# Events
class UserJoinedEvent(BaseChannelEvent):
    handler: Literal["user_joined"] = "user_joined"
    payload: UserPayload


# Authenticator
class RoomAuthenticator(DjangoAuthenticator):
    permission_classes = [IsAuthenticated]
    queryset = ChatRoom.objects.all()
    obj: ChatRoom


# Consumer (generic type is optional - either approach works)
@channel(name="room_chat", description="Real-time chat for specific rooms", tags=["chat", "rooms"])
class RoomChatConsumer(AsyncJsonWebsocketConsumer[UserJoinedEvent]):  # Optional generic
    authenticator_class = RoomAuthenticator
    authenticator: RoomAuthenticator

    # Configuration
    log_ignored_actions = ["ping", "pong"]

    async def post_authentication(self) -> None:
        """Join room group after authentication."""
        room_group = f"room_{self.authenticator.obj.id}"
        await self.channel_layer.group_add(room_group, self.channel_name)
        self.groups.append(room_group)

    @ws_handler(summary="Handle chat messages", output_type=ChatNotificationMessage)
    async def handle_chat(self, message: ChatMessage) -> None:
        """Process and broadcast chat messages."""
        await self.broadcast_message(
            ChatNotificationMessage(
                payload=ChatNotificationPayload(
                    message=message.payload.message,
                    username=self.authenticator.user.username,
                    room_id=self.authenticator.obj.id,
                )
            )
        )

    @event_handler(output_type=UserJoinedMessage)
    async def user_joined(self, event: UserJoinedEvent) -> UserJoinedMessage:
        """Handle user join events from other parts of the app."""
        return UserJoinedMessage(
            payload=UserJoinedPayload(
                username=event.payload.username,
                message=f"{event.payload.username} joined the room",
            )
        )


# -- tests -------------------------------------------------------------------------------------


class Note(BaseMessage):
    action: Literal["note"] = "note"
    payload: str


def mounted(consumer: Any) -> Any:
    return AuthMiddlewareStack(
        URLRouter([path("ws/chat/<int:pk>/", consumer.as_asgi(send_completion=True))])
    )


async def test_chat_consumer_joins_room_group_in_post_authentication(alice: Any, room: Any) -> None:
    class Observed(ChatConsumer):  # the guide's consumer, plus a way to see group events
        passthrough_events = [Note]

    async with WebsocketCommunicator(mounted(Observed), f"/ws/chat/{room.pk}/", user=alice):
        pass
    async with WebsocketCommunicator(mounted(Observed), f"/ws/chat/{room.pk}/", user=alice) as ws:
        await ws.send_message({"action": "nothing"})  # served after post_authentication
        await ws.receive_all_messages()
        await Observed.broadcast_event(Note(payload="to the room"), groups=[f"room_{room.id}"])
        assert await ws.receive_all_messages("event_complete") == [
            {"action": "note", "payload": "to the room"}
        ]


async def test_chat_consumer_refuses_anonymous_and_missing_rooms(alice: Any, room: Any) -> None:
    anonymous = WebsocketCommunicator(mounted(ChatConsumer), f"/ws/chat/{room.pk}/")
    await anonymous.connect()
    await anonymous.assert_closed(4401)
    await anonymous.disconnect()
    missing = WebsocketCommunicator(mounted(ChatConsumer), "/ws/chat/987654/", user=alice)
    await missing.connect()
    await missing.assert_closed(4404)
    await missing.disconnect()


async def test_complete_example_room_chat(alice: Any, bob: Any, room: Any) -> None:
    app = mounted(RoomChatConsumer)
    url = f"/ws/chat/{room.pk}/"
    async with (
        WebsocketCommunicator(app, url, user=alice) as a,
        WebsocketCommunicator(app, url, user=bob) as b,  # IsAuthenticated only: bob may join
    ):
        for ws in (a, b):
            await ws.send_message({"action": "join_room", "payload": {"room": "x"}})
            (error,) = await ws.receive_all_messages()  # no handler for join_room in the guide
            assert error["payload"]["code"] == "unknown_action"
        await a.send_message(ChatMessage(payload=ChatPayload(message="hello")))
        expected = {
            "action": "chat_notification",
            "payload": {"message": "hello", "username": alice.username, "room_id": room.id},
        }
        assert await a.receive_all_messages(("complete", "group_complete")) == [expected]
        assert await b.receive_all_messages("group_complete") == [expected]
        await RoomChatConsumer.broadcast_event(
            UserJoinedEvent(payload=UserPayload(username="erin")), groups=[f"room_{room.id}"]
        )
        for ws in (a, b):
            assert await ws.receive_all_messages("event_complete") == [
                {
                    "action": "user_joined",
                    "payload": {"username": "erin", "message": "erin joined the room"},
                }
            ]


class RoomChatTestCase(ChanxWebsocketTestCase):
    """The Django test-case base: session login and token headers."""

    application = mounted(RoomChatConsumer)

    def setUp(self) -> None:
        super().setUp()
        from django.contrib.auth.models import User
        from rest_framework.authtoken.models import Token

        self.user = User.objects.create_user("tc-user")
        self.token = Token.objects.create(user=self.user).key
        self.room = ChatRoom.objects.create(name="tc")
        self.ws_path = f"/ws/chat/{self.room.pk}/"

    async def test_session_login(self) -> None:
        async with self.communicator(user=self.user) as ws:
            await ws.send_message(ChatMessage(payload=ChatPayload(message="tc")))
            frames = await ws.receive_all_messages(("complete", "group_complete"))
            assert frames[0]["payload"]["username"] == "tc-user"

    async def test_token_header(self) -> None:
        async with self.communicator(token=self.token) as ws:
            await ws.send_message(ChatMessage(payload=ChatPayload(message="tc")))
            frames = await ws.receive_all_messages(("complete", "group_complete"))
            assert frames[0]["payload"]["username"] == "tc-user"

    async def test_anonymous_is_refused(self) -> None:
        client = self.communicator()
        await client.connect()
        assert await client.assert_closed() == 4401
        count = await sync_to_async(ChatRoom.objects.count)()
        assert count >= 1
