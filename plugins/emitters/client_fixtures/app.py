"""The application the generated clients are tested against (Python and TypeScript).

`room`: the guide's chat consumer (ping, chat broadcast to the room, user message echo,
log without a reply, a passthrough notification), with completion signals, at
`/ws/room/{room_id}`. `secure`: the same `whoami` behind the token authenticator (header,
subprotocol or query token). `camel` and `packed`: a camelized JSON wire and a camelized
MessagePack wire. The demo chat is mounted too, at its own path.
"""

from __future__ import annotations

from typing import Literal

from chanx_auth_token.testing import make_token
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute

from chanx.core.decorators import channel, ws_handler
from chanx.demo.app import ChatConsumer as DemoChat
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

SECRET = "generated-clients-hmac-secret-32-bytes"


def token(sub: str = "ann", **claims: object) -> str:
    """A valid token for the `secure` channel."""
    return make_token(sub, SECRET, **claims)


class ChatPayload(BaseModel):
    """A chat line."""

    user_name: str
    message: str


class ChatMessage(BaseMessage):
    """A client posts to the room."""

    action: Literal["chat"] = "chat"
    payload: ChatPayload


class ChatNotificationMessage(BaseMessage):
    """Everyone in the room sees the post."""

    action: Literal["chat_notification"] = "chat_notification"
    payload: ChatPayload


class UserMessage(BaseMessage):
    """Text the server echoes back."""

    action: Literal["user_message"] = "user_message"
    payload: str


class SystemEchoMessage(BaseMessage):
    """The echo of a `user_message`."""

    action: Literal["system_echo"] = "system_echo"
    payload: str


class LogMessage(BaseMessage):
    """A line for the server log; no reply."""

    action: Literal["log"] = "log"
    payload: str


class UserJoinedNotification(BaseMessage):
    """Someone joined (forwarded as is)."""

    action: Literal["user_joined"] = "user_joined"
    payload: str


@channel(name="room", description="Real-time chat system")
class RoomConsumer(AsyncJsonWebsocketConsumer[UserJoinedNotification]):
    """The guide's chat consumer, one group per room."""

    send_completion = True
    passthrough_events = [UserJoinedNotification]

    async def post_authentication(self) -> None:
        """Join the room's group."""
        await self.join_group("room_" + self.scope["path_params"]["room_id"])

    @ws_handler(summary="Handle ping requests")
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer `ping` with `pong`."""
        return PongMessage()

    @ws_handler(summary="Post to the room", output_type=ChatNotificationMessage)
    async def handle_chat(self, message: ChatMessage) -> None:
        """Broadcast the post to the room, sender included."""
        room = "room_" + self.scope["path_params"]["room_id"]
        await self.broadcast_message(
            ChatNotificationMessage(payload=message.payload), groups=[room]
        )

    @ws_handler
    async def handle_user_message(self, message: UserMessage) -> SystemEchoMessage:
        """Echo the text."""
        return SystemEchoMessage(payload=f"echo: {message.payload}")

    @ws_handler
    async def handle_log(self, message: LogMessage) -> None:
        """Accept a log line."""


class WhoAmI(BaseMessage):
    """Ask who the server thinks you are."""

    action: Literal["whoami"] = "whoami"
    payload: None = None


class Identity(BaseMessage):
    """The authenticated subject."""

    action: Literal["identity"] = "identity"
    payload: str


@channel(name="secure")
class SecureConsumer(AsyncJsonWebsocketConsumer):
    """A channel behind the token authenticator."""

    authenticator_class = "token"
    authenticator_options = {"key": SECRET}

    @ws_handler
    async def handle_whoami(self, message: WhoAmI) -> Identity:
        """Say who the connection authenticated as."""
        return Identity(payload=str(self.user))


class Point(BaseModel):
    """A point with camel-cased wire names."""

    x_value: int
    y_value: float
    label_text: str | None = None


class Move(BaseMessage):
    """Move to a point."""

    action: Literal["move"] = "move"
    payload: Point


class Moved(BaseMessage):
    """Where the client now is."""

    action: Literal["moved"] = "moved"
    payload: Point


@channel(name="camel")
class CamelConsumer(AsyncJsonWebsocketConsumer):
    """Camelized JSON keys."""

    formatters = ("camelize",)

    @ws_handler
    async def handle_move(self, message: Move) -> Moved:
        """Echo the point."""
        return Moved(payload=message.payload)


@channel(name="packed")
class PackedConsumer(AsyncJsonWebsocketConsumer):
    """Camelized keys in binary MessagePack frames."""

    formatters = ("camelize", "msgpack")

    @ws_handler
    async def handle_move(self, message: Move) -> Moved:
        """Echo the point."""
        return Moved(payload=message.payload)


app = Starlette(
    routes=[
        WebSocketRoute("/ws/room/{room_id}", RoomConsumer.as_asgi()),
        WebSocketRoute("/ws/secure", SecureConsumer.as_asgi()),
        WebSocketRoute("/ws/camel", CamelConsumer.as_asgi()),
        WebSocketRoute("/ws/packed", PackedConsumer.as_asgi()),
        Mount("/demo", routes=[WebSocketRoute("/ws/chat/{room}", DemoChat.as_asgi())]),
    ]
)
