"""Consumers of the chat example, written as the seed guide writes them."""

from rest_framework.permissions import IsAuthenticated

from chanx.channels.authenticator import DjangoAuthenticator
from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.decorators import channel, event_handler, ws_handler
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

from .messages import (
    ChatMessage,
    ChatNotificationMessage,
    ChatNotificationPayload,
    NewPostEvent,
    PaymentCompleteEvent,
    SystemAnnouncementEvent,
    UserJoinedEvent,
    UserJoinedMessage,
    UserJoinedPayload,
)
from .models import ChatRoom


class IsRoomMember(IsAuthenticated):
    """Object-level check: only members of a room may join it."""

    def has_object_permission(self, request, view, obj):  # type: ignore[no-untyped-def]
        return obj.members.filter(pk=request.user.pk).exists()


class RoomAuthenticator(DjangoAuthenticator):
    permission_classes = [IsAuthenticated, IsRoomMember]
    queryset = ChatRoom.objects.all()
    obj: ChatRoom


@channel(
    name="room_chat",
    description="Real-time chat for specific rooms",
    tags=["chat", "rooms"],
)
class RoomChatConsumer(AsyncJsonWebsocketConsumer[UserJoinedEvent]):
    authenticator_class = RoomAuthenticator
    authenticator: RoomAuthenticator

    # Configuration
    log_ignored_actions = ["ping", "pong"]

    async def post_authentication(self) -> None:
        """Join room group after authentication."""
        await self.join_group(f"room_{self.authenticator.obj.id}")

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()

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


@channel(name="announcements", description="System announcements for every user")
class AnnouncementConsumer(AsyncJsonWebsocketConsumer):
    groups = ["all_users"]
    passthrough_events = [SystemAnnouncementEvent]


@channel(name="notifications", description="New posts and payment results")
class NotificationConsumer(AsyncJsonWebsocketConsumer):
    groups = ["news_feed"]
    passthrough_events = [NewPostEvent, PaymentCompleteEvent]


# The guide sends payment results through a consumer of its own.
PaymentConsumer = NotificationConsumer
