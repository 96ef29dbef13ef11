"""The chanx demo: a multi-room chat on FastAPI, written with chanx's public API only.

Run it with `chanx demo` (or `uvicorn chanx.demo.app:app --ws websockets-sansio`) and open
the printed URL in two browser tabs.

- `GET /` serves the chat page (inline HTML, CSS and JavaScript; it makes no external requests).
- `WS /ws/chat/{room}?name=alice` joins `room` as `alice` (protocol: `chanx.demo.messages`).
- `POST /rooms/{room}/announce` with `{"text": "..."}` pushes an announcement to the room.
- The member list is the topic `room/{room}` on the same socket (`RoomTopic`): presence
  tracks who is subscribed, and subscribers are told when someone joins or leaves.

Rooms live in the default channel layer, which is in memory: run the demo as one process.
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Annotated, Any

from fastapi import FastAPI, Path
from fastapi.responses import HTMLResponse

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode
from chanx.core.decorators import channel, event_handler, ws_handler
from chanx.core.topic import Topic
from chanx.demo.messages import (
    MAX_NAME_LENGTH,
    Announcement,
    AnnouncementPayload,
    AnnouncementText,
    ChatMessage,
    ChatPayload,
    MemberList,
    MembersRequest,
    MessageSent,
    NewMessage,
    PresencePayload,
    RoomAnnouncement,
    UserJoined,
    UserLeft,
)
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

__all__ = [
    "ROOM_PATTERN",
    "ChatConsumer",
    "NameAuthenticator",
    "RoomTopic",
    "app",
    "room_group",
]

ROOM_PATTERN = r"^[A-Za-z0-9_-]{1,32}$"
"""Room names: 1 to 32 letters, digits, `-` or `_` (they become channel-layer group names)."""

PAGE = files("chanx.demo").joinpath("page.html").read_text(encoding="utf-8")

PAGE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: the browser may fetch nothing but this server."""


def room_group(room: str) -> str:
    """The channel-layer group whose members are the connections in `room`."""
    return f"room_{room}"


class NameAuthenticator(BaseAuthenticator):
    """Admits a connection that names itself (`?name=alice`) in a well-formed room.

    This is identification, not authentication: anyone may take any name. It shows where
    real authentication goes and how a consumer refuses a connection.
    """

    user: str | None = None

    async def authenticate(self) -> bool:
        """Accept a 1-32 character name; refuse a malformed room with 4404.

        Returns:
            False (the connection closes with 4401) when the name is missing or too long.

        Raises:
            AuthenticationFailed: The room name is not valid (close code 4404).
        """
        room = self.scope["path_params"].get("room", "")
        if not re.fullmatch(ROOM_PATTERN, room):
            raise AuthenticationFailed(
                CloseCode.NOT_FOUND, "room names are 1-32 letters, digits, '-' or '_'"
            )
        name = (self.get_query_param("name") or "").strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            return False
        self.user = name
        return True


class RoomTopic(Topic[BaseMessage]):
    """Who is in a room: the member list of the page, kept current by presence pushes."""

    pattern = "room/{room}"
    track_presence = True
    presence_events = True

    async def authorize(self, **params: str) -> bool:
        """Only the room this connection joined."""
        return params["room"] == getattr(self.consumer, "room", None)

    async def presence_info(self) -> dict[str, Any] | None:
        """Other subscribers see this connection's name."""
        return {"user": self.user}

    @ws_handler(summary="List who is in the room")
    async def handle_members(self, message: MembersRequest) -> MemberList:
        """Everyone connected to the room, in every process sharing the layer."""
        members = await RoomTopic.presence(self.topic)
        return MemberList(payload=sorted(str((m.info or {}).get("user")) for m in members))


ChatEvent = UserJoined | UserLeft | RoomAnnouncement
"""The channel-layer events a `ChatConsumer` receives."""


@channel(
    name="chat",
    description="A chat room: post messages, see who joins and leaves, receive announcements.",
    tags=["chat", "demo"],
)
class ChatConsumer(AsyncJsonWebsocketConsumer[ChatEvent]):
    """One browser tab in one chat room."""

    authenticator_class = NameAuthenticator
    authenticator: NameAuthenticator
    passthrough_events = [UserJoined, UserLeft]
    topics = [RoomTopic]
    log_ignored_actions = ("ping", "pong")

    room: str = ""
    """The room this connection joined; empty until `post_authentication` ran."""

    async def post_authentication(self) -> None:
        """Join the room's group, then tell everyone in the room (this tab included)."""
        self.room = self.scope["path_params"]["room"]
        group = room_group(self.room)
        await self.join_group(group)
        await self.broadcast_event(
            UserJoined(payload=PresencePayload(room=self.room, user=self.user)), groups=[group]
        )

    async def disconnect(self, code: int) -> None:
        """Tell the room this user left (the connection has already left its groups)."""
        await self.broadcast_event(
            UserLeft(payload=PresencePayload(room=self.room, user=self.user)),
            groups=[room_group(self.room)],
        )

    @ws_handler(
        summary="Post a message to the room",
        description="Everyone else in the room receives `new_message`; the sender receives "
        "`message_sent` with the same payload.",
        output_type=MessageSent | NewMessage,
    )
    async def handle_chat(self, message: ChatMessage) -> MessageSent:
        """Broadcast the message to the rest of the room and acknowledge it to the sender."""
        posted = ChatPayload(room=self.room, user=self.user, text=message.payload.text)
        await self.broadcast_message(NewMessage(payload=posted), exclude_current=True)
        return MessageSent(payload=posted)

    @ws_handler(summary="Check that the connection is alive")
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer `ping` with `pong`."""
        return PongMessage()

    @event_handler(summary="Deliver an announcement posted over HTTP")
    async def handle_room_announcement(self, event: RoomAnnouncement) -> Announcement:
        """Turn the internal event into the message clients display."""
        return Announcement(payload=AnnouncementPayload(room=self.room, text=event.payload.text))


app = FastAPI(
    title="chanx demo chat",
    description="A multi-room chat built with chanx. Open / in two browser tabs.",
)
app.add_api_websocket_route("/ws/chat/{room}", ChatConsumer.as_asgi(), name="chat")


@app.get("/", response_class=HTMLResponse, include_in_schema=False)
async def index() -> HTMLResponse:
    """The chat page."""
    return HTMLResponse(PAGE, headers={"Content-Security-Policy": PAGE_POLICY})


@app.post("/rooms/{room}/announce", status_code=202)
async def announce(
    room: Annotated[str, Path(pattern=ROOM_PATTERN)], body: AnnouncementText
) -> dict[str, str]:
    """Push an announcement to everyone connected to `room`."""
    await ChatConsumer.broadcast_event(RoomAnnouncement(payload=body), groups=[room_group(room)])
    return {"status": "sent", "room": room}
