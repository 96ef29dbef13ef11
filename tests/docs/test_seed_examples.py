"""The seed guide's framework-neutral and Starlette/FastAPI examples, as written.

`shared/seed/consumers-and-decorators.txt` is the contract chanx must satisfy. Its code lost its
indentation; here it is restored and otherwise kept as the guide writes it, then driven through
`WebsocketCommunicator` to check that it behaves as the guide says. Where the guide leaves a name
undefined (payload models, `logger`, `get_user_by_token`) it is defined minimally here, and
where it writes `payload=...` as a placeholder a concrete payload is filled in (commented).

Consumers are defined inside the tests because the guide reuses class names (`ChatConsumer`
appears five times). Tests mount them with `as_asgi(send_completion=True)` (and `groups=` where
the guide relies on groups defined elsewhere) so they can wait on completion signals.

The Django examples (`chanx.channels.*`, DRF permissions, views, Celery, management commands)
run as written in `plugins/authenticators/chanx-auth-drf/tests/test_seed_django_examples.py`
and `test_example_project.py`; their framework-neutral core (the `_sync` twins) is covered here.
"""

import asyncio
import logging
from datetime import datetime
from typing import Any, Literal

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.authenticator import BaseAuthenticator
from chanx.core.close_codes import CloseCode
from chanx.core.decorators import ChannelInfo, channel, event_handler, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage
from chanx.testing.communicator import WebsocketCommunicator

logger = logging.getLogger("seed.example")

BOTH = ("complete", "group_complete")


# -- helpers ----------------------------------------------------------------------------------


def app_for(consumer: type[AsyncJsonWebsocketConsumer], path: str = "/ws", **initkwargs: Any):
    """A Starlette app serving `consumer` at `path` with completion signals on."""
    initkwargs.setdefault("send_completion", True)
    return Starlette(routes=[WebSocketRoute(path, consumer.as_asgi(**initkwargs))])


async def receive_counting(client: WebsocketCommunicator, **signals: int) -> list[Any]:
    """Frames until each completion signal has been seen the given number of times."""
    frames: list[Any] = []
    while any(signals.values()):
        frame = await client.receive_json()
        if signals.get(frame["action"]):
            signals[frame["action"]] -= 1
        else:
            frames.append(frame)
    return frames


def tracked(consumer: type[AsyncJsonWebsocketConsumer]) -> tuple[type, list[Any]]:
    """A subclass that records its connected instances (to learn their channel names)."""
    instances: list[Any] = []

    class Tracked(consumer):  # type: ignore[valid-type, misc]
        async def post_authentication(self) -> None:
            await super().post_authentication()
            instances.append(self)

    return Tracked, instances


# -- payload and message types the guide uses but does not define ----------------------------


class ChatPayload(BaseModel):
    message: str


class UserPayload(BaseModel):
    username: str


class NotificationPayload(BaseModel):
    text: str


class StatusPayload(BaseModel):
    status: str
    timestamp: datetime


class ChatNotificationMessage(BaseMessage):
    action: Literal["chat_notification"] = "chat_notification"
    payload: ChatPayload


class UserMessage(BaseMessage):
    action: Literal["user_message"] = "user_message"
    payload: str


class SystemEchoMessage(BaseMessage):
    action: Literal["system_echo"] = "system_echo"
    payload: str


class RoomNotificationMessage(BaseMessage):
    action: Literal["room_notification"] = "room_notification"
    payload: str


class LogMessage(BaseMessage):
    action: Literal["log"] = "log"
    payload: str


class Response(BaseMessage):
    action: Literal["response"] = "response"
    payload: str = ""


class JobResult(BaseMessage):
    action: Literal["job_result"] = "job_result"
    payload: str


class JobStatusMessage(BaseMessage):
    action: Literal["job_status"] = "job_status"
    payload: dict[str, Any]


class ComplexEvent(BaseMessage):
    action: Literal["complex_event"] = "complex_event"
    payload: None = None


class Notification(BaseMessage):
    action: Literal["notification"] = "notification"
    payload: str


class UserJoinedNotification(BaseMessage):
    action: Literal["user_joined_notification"] = "user_joined_notification"
    payload: str


class UserLeftNotification(BaseMessage):
    action: Literal["user_left_notification"] = "user_left_notification"
    payload: str


class MessageUpdated(BaseMessage):
    action: Literal["message_updated"] = "message_updated"
    payload: str


class SystemNotification(BaseMessage):
    action: Literal["system_notification"] = "system_notification"
    payload: str


class GetStatusMessage(BaseMessage):
    action: Literal["get_status"] = "get_status"
    payload: None = None


class StatusMessage(BaseMessage):
    action: Literal["status"] = "status"
    payload: StatusPayload


class UserJoinedMessage(BaseMessage):
    action: Literal["user_joined"] = "user_joined"
    payload: dict[str, Any]


class SystemAnnouncementEvent(BaseMessage):
    action: Literal["system_announcement"] = "system_announcement"
    payload: str


# -- "Message Types and Automatic Routing" (as written) ---------------------------------------


class ChatMessage(BaseMessage):
    action: Literal["chat"] = "chat"  # Discriminator field
    payload: ChatPayload


class UserJoinedEvent(BaseMessage):
    action: Literal["user_joined"] = "user_joined"  # Discriminator field
    payload: UserPayload


class SystemNotifyEvent(BaseMessage):
    action: Literal["system_notify"] = "system_notify"
    payload: NotificationPayload


# -- The AsyncJsonWebsocketConsumer base class and @channel -----------------------------------


async def test_base_class_imports_and_channel_decorator() -> None:
    @channel(name="chat", description="Real-time chat system")
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        # Your handlers go here
        pass

    assert ChatConsumer.__chanx_plan__.channel == ChannelInfo("chat", "Real-time chat system")
    async with WebsocketCommunicator(app_for(ChatConsumer), "/ws") as client:
        await client.send_message(PingMessage())
        (error,) = await client.receive_all_messages()
        assert error["payload"]["code"] == "unknown_action"


async def test_channel_decorator_with_tags() -> None:
    @channel(
        name="notifications",
        description="User notification system",
        tags=["notifications", "real-time"],
    )
    class NotificationConsumer(AsyncJsonWebsocketConsumer):
        pass

    assert NotificationConsumer.__chanx_plan__.channel == ChannelInfo(
        "notifications", "User notification system", ("notifications", "real-time")
    )


async def test_optional_generic_type_parameter() -> None:
    # Without generic type (perfectly fine)
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        pass

    plain = ChatConsumer

    # With generic type for enhanced type checking
    class ChatConsumer(AsyncJsonWebsocketConsumer[SystemNotifyEvent]):  # type: ignore[no-redef]
        pass

    assert issubclass(ChatConsumer, AsyncJsonWebsocketConsumer)
    # Purely for type checkers: both forms compile and serve the same way at runtime.
    for consumer in (plain, ChatConsumer):
        async with WebsocketCommunicator(app_for(consumer, groups=["g"]), "/ws") as client:
            await consumer.broadcast_event(
                SystemNotifyEvent(payload=NotificationPayload(text="x")), groups=["g"]
            )
            assert await client.receive_all_messages("event_complete") == []


# -- @ws_handler ------------------------------------------------------------------------------


@channel(name="example")
class ExampleConsumer(AsyncJsonWebsocketConsumer):
    @ws_handler(summary="Handle ping requests")
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(
        summary="Handle chat messages",
        description="Process chat messages and broadcast to room members",
        output_type=ChatNotificationMessage,
        tags=["chat", "messaging"],
    )
    async def handle_chat(self, message: ChatMessage) -> None:
        # Broadcast to group instead of direct response
        await self.broadcast_message(
            ChatNotificationMessage(payload=ChatPayload(message=f"User: {message.payload.message}"))
        )


async def test_example_consumer_ping_gets_pong() -> None:
    async with WebsocketCommunicator(app_for(ExampleConsumer), "/ws") as client:
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]


async def test_example_consumer_chat_is_broadcast_to_the_group() -> None:
    # The guide's consumer broadcasts to "the group": its groups come from the mount here.
    app = app_for(ExampleConsumer, groups=["room"])
    async with (
        WebsocketCommunicator(app, "/ws") as sender,
        WebsocketCommunicator(app, "/ws") as other,
    ):
        await sender.send_message(ChatMessage(payload=ChatPayload(message="hi")))
        expected = {"action": "chat_notification", "payload": {"message": "User: hi"}}
        assert await sender.receive_all_messages(BOTH) == [expected]
        assert await other.receive_all_messages("group_complete") == [expected]


def test_example_consumer_records_the_handler_metadata() -> None:
    plan = ExampleConsumer.__chanx_plan__
    assert plan.channel == ChannelInfo("example")
    ping, chat = plan.ws_routes["ping"], plan.ws_routes["chat"]
    assert (ping.summary, ping.output_type) == ("Handle ping requests", PongMessage)
    assert chat.summary == "Handle chat messages"
    assert chat.description == "Process chat messages and broadcast to room members"
    assert chat.output_type is ChatNotificationMessage
    assert chat.tags == ("chat", "messaging")


async def test_three_sending_patterns(caplog: pytest.LogCaptureFixture) -> None:
    class PatternsConsumer(AsyncJsonWebsocketConsumer):
        # Pattern 1: Return value sends to sender only
        @ws_handler
        async def handle_user_message(self, message: UserMessage) -> SystemEchoMessage:
            # What you return goes back to the sender only
            return SystemEchoMessage(payload=message.payload)  # seed: payload=...

        # Pattern 2: Broadcasting to multiple users
        @ws_handler(output_type=RoomNotificationMessage)
        async def handle_chat(self, message: ChatMessage) -> None:
            # Explicitly broadcast to send to multiple users
            await self.broadcast_message(
                RoomNotificationMessage(payload=message.payload.message),  # seed: payload=...
                groups=["room_general"],  # Can be omitted if groups defined as class attribute
            )

        # Pattern 3: No Response
        @ws_handler
        async def handle_log_event(self, message: LogMessage) -> None:
            logger.info(f"Received: {message.payload}")
            # No response sent

    app = app_for(PatternsConsumer)
    general = app_for(PatternsConsumer, groups=["room_general"])
    async with (
        WebsocketCommunicator(app, "/ws") as sender,
        WebsocketCommunicator(app, "/ws") as bystander,
        WebsocketCommunicator(general, "/ws") as member,
    ):
        await sender.send_message(UserMessage(payload="echo me"))
        assert await sender.receive_all_messages() == [
            {"action": "system_echo", "payload": "echo me"}
        ]

        await sender.send_message(ChatMessage(payload=ChatPayload(message="all")))
        assert await sender.receive_all_messages() == []  # not in room_general
        assert await member.receive_all_messages("group_complete") == [
            {"action": "room_notification", "payload": "all"}
        ]

        with caplog.at_level(logging.INFO, logger="seed.example"):
            await sender.send_message(LogMessage(payload="note"))
            assert await sender.receive_all_messages() == []
        assert "Received: note" in caplog.messages

        await bystander.send_message(PingMessage())  # unknown here: one error, nothing else
        (error,) = await bystander.receive_all_messages()
        assert error["payload"]["code"] == "unknown_action"


# -- @event_handler ---------------------------------------------------------------------------


async def test_ws_handler_vs_event_handler_signatures() -> None:
    class BothConsumer(AsyncJsonWebsocketConsumer):
        # Receives messages from WebSocket clients
        @ws_handler
        async def handle_user_message(self, message: UserMessage) -> Response: ...

        # Receives messages from channel layer (server-to-server)
        @event_handler
        async def handle_job_result(self, event: JobResult) -> Response: ...

    plan = BothConsumer.__chanx_plan__
    assert list(plan.ws_routes) == ["user_message"]
    assert list(plan.event_routes) == ["action=job_result"]
    async with WebsocketCommunicator(app_for(BothConsumer), "/ws") as client:
        await client.send_message(UserMessage(payload="x"))
        assert await client.receive_all_messages() == []  # `...` returns None: nothing sent


class JobConsumer(AsyncJsonWebsocketConsumer):
    # Pattern 1: Return value sends to WebSocket client
    @event_handler
    async def handle_job_result(self, event: JobResult) -> JobStatusMessage:
        # What you return is sent to the WebSocket client
        return JobStatusMessage(payload={"status": "result", "message": event.payload})

    # Pattern 2: Send multiple messages or complex logic
    @event_handler(output_type=Notification)
    async def handle_complex_event(self, event: ComplexEvent) -> None:
        # Send multiple messages
        await self.send_message(Notification(payload="Processing..."))
        await self.send_message(Notification(payload="Complete!"))


async def test_event_handler_return_goes_to_one_client_by_channel_name() -> None:
    consumer, instances = tracked(JobConsumer)
    app = app_for(consumer)
    async with (
        WebsocketCommunicator(app, "/ws") as target,
        WebsocketCommunicator(app, "/ws") as other,
    ):
        first = instances[0]
        await consumer.send_event(JobResult(payload="done"), first.channel_name)
        assert await target.receive_all_messages("event_complete") == [
            {"action": "job_status", "payload": {"status": "result", "message": "done"}}
        ]
        await other.send_message(PingMessage())
        (only,) = await other.receive_all_messages()  # the event never reached it
        assert only["payload"]["code"] == "unknown_action"


async def test_event_handler_return_goes_to_every_client_in_the_groups() -> None:
    jobs = app_for(JobConsumer, groups=["jobs"])
    elsewhere = app_for(JobConsumer, groups=["other"])
    async with (
        WebsocketCommunicator(jobs, "/ws") as a,
        WebsocketCommunicator(jobs, "/ws") as b,
        WebsocketCommunicator(elsewhere, "/ws") as c,
    ):
        await JobConsumer.broadcast_event(JobResult(payload="all"), groups=["jobs"])
        expected = [{"action": "job_status", "payload": {"status": "result", "message": "all"}}]
        assert await a.receive_all_messages("event_complete") == expected
        assert await b.receive_all_messages("event_complete") == expected
        await JobConsumer.broadcast_event(JobResult(payload="c"), groups=["other"])
        assert await c.receive_all_messages("event_complete") == [
            {"action": "job_status", "payload": {"status": "result", "message": "c"}}
        ]


async def test_event_handler_sending_several_messages() -> None:
    async with WebsocketCommunicator(app_for(JobConsumer, groups=["jobs"]), "/ws") as client:
        await JobConsumer.broadcast_event(ComplexEvent(), groups=["jobs"])
        assert await client.receive_all_messages("event_complete") == [
            {"action": "notification", "payload": "Processing..."},
            {"action": "notification", "payload": "Complete!"},
        ]
    route = JobConsumer.__chanx_plan__.event_routes["action=complex_event"]
    assert route.output_type is Notification


# -- Passthrough events -----------------------------------------------------------------------

JOINED = UserJoinedNotification(payload="ann")
LEFT = UserLeftNotification(payload="bob")
UPDATED = MessageUpdated(payload="edited")


async def forwarded(consumer: type, *events: BaseMessage) -> list[dict[str, Any]]:
    """Broadcast each event to a fresh connection of `consumer`; return what the client got."""
    frames: list[dict[str, Any]] = []
    async with WebsocketCommunicator(app_for(consumer, groups=["g"]), "/ws") as client:
        for event in events:
            await consumer.broadcast_event(event, groups=["g"])
            frames += await client.receive_all_messages("event_complete")
    return frames


def dumped(*events: BaseMessage) -> list[dict[str, Any]]:
    return [event.model_dump(mode="json") for event in events]


async def test_passthrough_before_and_after_forward_the_same_frames() -> None:
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        @event_handler
        async def handle_user_joined(self, event: UserJoinedNotification) -> UserJoinedNotification:
            return event

        @event_handler
        async def handle_user_left(self, event: UserLeftNotification) -> UserLeftNotification:
            return event

        @event_handler
        async def handle_message_updated(self, event: MessageUpdated) -> MessageUpdated:
            return event

    before = ChatConsumer

    class ChatConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[no-redef]
        passthrough_events = [UserJoinedNotification, UserLeftNotification, MessageUpdated]

    after = ChatConsumer
    expected = dumped(JOINED, LEFT, UPDATED)
    assert await forwarded(before, JOINED, LEFT, UPDATED) == expected
    assert await forwarded(after, JOINED, LEFT, UPDATED) == expected

    for name in (
        "handle_passthrough_user_joined_notification",
        "handle_passthrough_user_left_notification",
        "handle_passthrough_message_updated",
    ):
        assert callable(getattr(after, name))
    routes = after.__chanx_plan__.event_routes
    assert routes["action=message_updated"].input_types == (MessageUpdated,)
    assert routes["action=message_updated"].output_type is MessageUpdated


async def test_passthrough_is_not_for_client_messages() -> None:
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        passthrough_events = [UserJoinedNotification]

    async with WebsocketCommunicator(app_for(ChatConsumer), "/ws") as client:
        await client.send_message(JOINED)
        (error,) = await client.receive_all_messages()
        assert error["payload"]["code"] == "unknown_action"


async def test_explicit_handler_takes_priority_over_passthrough() -> None:
    logged: list[UserJoinedNotification] = []

    def log_user_joined(event: UserJoinedNotification) -> None:
        logged.append(event)

    class ChatConsumer(AsyncJsonWebsocketConsumer):
        passthrough_events = [UserJoinedNotification, UserLeftNotification]

        # This explicit handler takes priority over passthrough for UserJoinedNotification
        @event_handler
        async def handle_user_joined(self, event: UserJoinedNotification) -> UserJoinedNotification:
            log_user_joined(event)
            return event

    assert await forwarded(ChatConsumer, JOINED, LEFT) == dumped(JOINED, LEFT)
    assert logged == [JOINED]
    assert not hasattr(ChatConsumer, "handle_passthrough_user_joined_notification")
    assert hasattr(ChatConsumer, "handle_passthrough_user_left_notification")


async def test_passthrough_method_prefix() -> None:
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        passthrough_events = [UserJoinedNotification, UserLeftNotification]
        passthrough_method_prefix = "forward_"

        # Generated methods will be:
        # forward_user_joined_notification
        # forward_user_left_notification

    assert callable(ChatConsumer.forward_user_joined_notification)
    assert callable(ChatConsumer.forward_user_left_notification)
    assert not hasattr(ChatConsumer, "handle_passthrough_user_joined_notification")
    assert await forwarded(ChatConsumer, JOINED, LEFT) == dumped(JOINED, LEFT)


class PresenceMixin:
    passthrough_events = [UserJoinedNotification, UserLeftNotification]


async def test_passthrough_events_merge_across_mixins() -> None:
    class ChatConsumer(PresenceMixin, AsyncJsonWebsocketConsumer):
        passthrough_events = [MessageUpdated]

        # ChatConsumer forwards all three:
        # UserJoinedNotification, UserLeftNotification (from the mixin)
        # MessageUpdated (from the consumer)

    assert await forwarded(ChatConsumer, JOINED, LEFT, UPDATED) == dumped(JOINED, LEFT, UPDATED)


async def test_passthrough_duplicates_are_deduplicated_and_cannot_be_removed() -> None:
    class ChatConsumer(PresenceMixin, AsyncJsonWebsocketConsumer):
        passthrough_events = [UserJoinedNotification, MessageUpdated]

    class Narrower(ChatConsumer):
        passthrough_events = []  # additive merge: nothing is removed

    for consumer in (ChatConsumer, Narrower):
        routes = [r for r in consumer.__chanx_plan__.event_routes.values() if r.passthrough]
        assert sorted(r.method_name for r in routes) == [
            "handle_passthrough_message_updated",
            "handle_passthrough_user_joined_notification",
            "handle_passthrough_user_left_notification",
        ]
        # Forwarded exactly once, not once per declaration.
        assert await forwarded(consumer, JOINED, LEFT, UPDATED) == dumped(JOINED, LEFT, UPDATED)


# -- AsyncAPI mapping: what the documentation generator reads ----------------------------------


def test_asyncapi_mapping_inputs_and_outputs() -> None:
    class DocumentedConsumer(AsyncJsonWebsocketConsumer):
        # Generates: RECEIVE action with reply field
        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

        # Generates: RECEIVE action with reply field
        @ws_handler(output_type=ChatNotificationMessage)
        async def handle_chat(self, message: ChatMessage) -> None:
            await self.broadcast_message(
                ChatNotificationMessage(payload=message.payload)  # seed: (...)
            )

        # Generates: RECEIVE action (no reply field)
        @ws_handler
        async def handle_log(self, message: LogMessage) -> None:
            logger.info(message.payload)
            # No response sent

        # Generates: SEND operation (send only)
        @event_handler
        async def handle_job_result(self, event: JobResult) -> JobResult:
            return event

        # Generates: SEND operation (send only)
        @event_handler(output_type=SystemNotification)
        async def handle_system_notify(self, event: SystemNotifyEvent) -> None:
            await self.send_message(SystemNotification(payload=event.payload.text))

    plan = DocumentedConsumer.__chanx_plan__
    ws = {r.action: (r.input_types, r.output_type) for r in plan.ws_routes.values()}
    assert ws == {
        "ping": ((PingMessage,), PongMessage),
        "chat": ((ChatMessage,), ChatNotificationMessage),
        "log": ((LogMessage,), None),
    }
    job = plan.event_routes["action=job_result"]
    notify = plan.event_routes["action=system_notify"]
    assert (job.action, job.output_type) == ("job_result", JobResult)
    assert notify.output_type is SystemNotification


# -- Discriminated unions and routing ---------------------------------------------------------


async def test_routing_by_discriminator_for_messages_and_events() -> None:
    class PingMessage(BaseMessage):  # the guide's own definition
        action: Literal["ping"] = "ping"
        payload: None = None

    seen: list[BaseMessage] = []

    class RoutedConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_chat(self, message: ChatMessage) -> None:
            seen.append(message)

        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            seen.append(message)
            return PongMessage()

        @event_handler
        async def handle_user_joined(self, event: UserJoinedEvent) -> None:
            seen.append(event)

        @event_handler
        async def handle_system_notify(self, event: SystemNotifyEvent) -> None:
            seen.append(event)

    consumer, instances = tracked(RoutedConsumer)
    async with WebsocketCommunicator(app_for(consumer), "/ws") as client:
        await client.send_text('{"action": "chat", "payload": {"message": "Hello"}}')
        assert await client.receive_all_messages() == []
        await client.send_text('{"action": "ping"}')
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]
        channel_name = instances[0].channel_name
        await consumer.send_event(
            UserJoinedEvent(payload=UserPayload(username="ann")), channel_name
        )
        await client.receive_all_messages("event_complete")
        notify = SystemNotifyEvent(payload=NotificationPayload(text="t"))
        await consumer.send_event(notify, channel_name)
        await client.receive_all_messages("event_complete")
    assert seen == [
        ChatMessage(payload=ChatPayload(message="Hello")),
        PingMessage(),
        UserJoinedEvent(payload=UserPayload(username="ann")),
        notify,
    ]
    assert type(seen[1]) is PingMessage


# -- Output messages and broadcasting ---------------------------------------------------------


async def test_direct_response_message() -> None:
    class StatusConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_get_status(self, message: GetStatusMessage) -> StatusMessage:
            return StatusMessage(payload=StatusPayload(status="online", timestamp=datetime.now()))

    async with WebsocketCommunicator(app_for(StatusConsumer), "/ws") as client:
        await client.send_message(GetStatusMessage())
        (frame,) = await client.receive_all_messages()
        assert frame["action"] == "status"
        assert frame["payload"]["status"] == "online"
        datetime.fromisoformat(frame["payload"]["timestamp"])


async def test_broadcasting_to_own_groups_and_to_specific_groups() -> None:
    class BroadcastConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler(output_type=ChatNotificationMessage)
        async def handle_chat(self, message: ChatMessage) -> None:
            # Broadcast to all connections in the same groups
            await self.broadcast_message(ChatNotificationMessage(payload=message.payload))

            # Broadcast to specific groups
            await self.broadcast_message(
                ChatNotificationMessage(payload=message.payload),
                groups=["room_123", "moderators"],
            )

    in_room = app_for(BroadcastConsumer, groups=["room_123"])
    moderators = app_for(BroadcastConsumer, groups=["moderators"])
    async with (
        WebsocketCommunicator(in_room, "/ws") as sender,
        WebsocketCommunicator(in_room, "/ws") as member,
        WebsocketCommunicator(moderators, "/ws") as moderator,
    ):
        await sender.send_message(ChatMessage(payload=ChatPayload(message="m")))
        frame = {"action": "chat_notification", "payload": {"message": "m"}}
        # Two relays reach room_123 (own groups, then explicit); one reaches moderators.
        got = await member.receive_all_messages("group_complete")
        got += await member.receive_all_messages("group_complete")
        assert got == [frame, frame]
        assert await moderator.receive_all_messages("group_complete") == [frame]
        # The sender is in room_123 too; its `complete` may come before or after the relays.
        assert await receive_counting(sender, complete=1, group_complete=2) == [frame, frame]


class RoomChatConsumer(AsyncJsonWebsocketConsumer):
    async def post_authentication(self) -> None:
        """Called after successful authentication."""
        # Extract room from URL parameters
        room_id = self.scope["path_params"]["room_id"]
        group_name = f"room_{room_id}"

        # Join the room group
        await self.channel_layer.group_add(group_name, self.channel_name)
        self.groups.append(group_name)

        # Notify others about the join
        await self.broadcast_message(
            UserJoinedMessage(payload={"user_id": self.user.id}),
            groups=[group_name],
            exclude_current=True,  # Don't send to self
        )


class User(BaseModel):
    id: int


class QueryUserAuthenticator(BaseAuthenticator):
    """Supplies the `self.user` the guide's RoomChatConsumer reads (`?user=<id>`)."""

    async def authenticate(self) -> bool:
        self.user = User(id=int(self.get_query_param("user", "0") or 0))
        return True


async def test_group_management_joins_the_room_and_notifies_others_only() -> None:
    # The guide's class reads `self.user.id` but sets no authenticator, so `self.user` would be
    # None; the guide assumes one, added here without touching the guide's code.
    class AuthedRoomChatConsumer(RoomChatConsumer):
        authenticator_class = QueryUserAuthenticator

    app = Starlette(
        routes=[
            WebSocketRoute("/rooms/{room_id}", AuthedRoomChatConsumer.as_asgi(send_completion=True))
        ]
    )
    async with WebsocketCommunicator(app, "/rooms/7?user=1") as first:
        # Its own (excluded) join notice: only the relay's completion signal.
        assert await first.receive_all_messages("group_complete") == []
        async with (
            WebsocketCommunicator(app, "/rooms/8?user=3") as elsewhere,
            WebsocketCommunicator(app, "/rooms/7?user=2") as second,
        ):
            assert await elsewhere.receive_all_messages("group_complete") == []
            assert await second.receive_all_messages("group_complete") == []
            assert await first.receive_all_messages("group_complete") == [
                {"action": "user_joined", "payload": {"user_id": 2}}
            ]
            await elsewhere.send_message(PingMessage())  # no frame from room 7 came before
            (error,) = await elsewhere.receive_all_messages()
            assert error["payload"]["code"] == "unknown_action"
    layer = RoomChatConsumer.get_channel_layer()
    assert layer is not None
    sent = layer.stats.sent  # type: ignore[attr-defined]
    await layer.group_send("room_7", {"type": "probe"})  # groups were left at disconnect
    assert layer.stats.sent == sent  # type: ignore[attr-defined]


# -- Event broadcasting from anywhere: the _sync twins ----------------------------------------


class AnnouncementConsumer(AsyncJsonWebsocketConsumer):
    passthrough_events = [SystemAnnouncementEvent]


def send_announcement(message: str) -> None:
    """The body of the guide's management command, without Django."""
    AnnouncementConsumer.broadcast_event_sync(
        SystemAnnouncementEvent(payload=message),
        groups=["all_users"],
    )


async def test_broadcast_event_sync_from_synchronous_code() -> None:
    app = app_for(AnnouncementConsumer, groups=["all_users"])
    async with WebsocketCommunicator(app, "/ws") as client:
        await asyncio.to_thread(send_announcement, "maintenance at noon")
        assert await client.receive_all_messages("event_complete") == [
            {"action": "system_announcement", "payload": "maintenance at noon"}
        ]


async def test_send_event_sync_to_a_channel_name() -> None:
    consumer, instances = tracked(AnnouncementConsumer)
    async with WebsocketCommunicator(app_for(consumer), "/ws") as client:
        event = SystemAnnouncementEvent(payload="just you")
        await asyncio.to_thread(consumer.send_event_sync, event, instances[0].channel_name)
        assert await client.receive_all_messages("event_complete") == dumped(event)


# -- Consumer configuration -------------------------------------------------------------------


class MyAuthenticator(BaseAuthenticator):
    async def authenticate(self) -> bool:
        return True


async def test_configuration_attributes_block() -> None:
    class MyConsumer(AsyncJsonWebsocketConsumer):
        # Message behavior
        send_completion = False  # Whether to send completion signals
        send_message_immediately = True  # Yield control after sending
        log_websocket_message = True  # Log messages
        log_ignored_actions = ["ping", "pong"]  # Skip logging these

        # Message formatting
        camelize = False  # Convert snake_case <-> camelCase
        discriminator_field = "action"  # Field for message routing

        # Channel layer (required for non-Django frameworks)
        channel_layer_alias = "default"

        # Authentication
        authenticator_class = MyAuthenticator

        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    assert MyConsumer.__chanx_plan__.authenticator_factory is MyAuthenticator
    async with WebsocketCommunicator(app_for(MyConsumer), "/ws") as client:
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]
    quiet = Starlette(routes=[WebSocketRoute("/ws", MyConsumer.as_asgi())])
    async with WebsocketCommunicator(quiet, "/ws") as client:  # send_completion = False
        await client.send_message(PingMessage())
        assert await client.receive_json() == {"action": "pong", "payload": None}
        assert await client.receive_nothing()


# -- Authentication: the FastAPI / custom example ---------------------------------------------

TOKENS = {"t-ann": User(id=1)}


async def get_user_by_token(token: str) -> User | None:
    return TOKENS.get(token)


class TokenAuthenticator(BaseAuthenticator):
    async def authenticate(self) -> bool:
        token = self.get_query_param("token")
        if not token:
            return False
        # Validate token logic here
        self.user = await get_user_by_token(token)
        return self.user is not None


class MyConsumer(AsyncJsonWebsocketConsumer):
    authenticator_class = TokenAuthenticator


class WhoAmI(BaseMessage):
    action: Literal["whoami"] = "whoami"
    payload: None = None


async def test_token_authenticator_on_fastapi() -> None:
    calls: list[int] = []

    class Observed(MyConsumer):
        async def post_authentication(self) -> None:
            calls.append(self.user.id)

        @ws_handler
        async def handle_whoami(self, message: WhoAmI) -> UserMessage:
            return UserMessage(payload=f"user {self.user.id}")

    app = FastAPI()
    app.add_api_websocket_route("/ws", Observed.as_asgi(send_completion=True))
    router = APIRouter()
    router.add_api_websocket_route("/routed", Observed.as_asgi(send_completion=True))
    app.include_router(router, prefix="/api")

    for path in ("/ws?token=t-ann", "/api/routed?token=t-ann"):
        async with WebsocketCommunicator(app, path) as client:
            await client.send_message(WhoAmI())
            assert await client.receive_all_messages() == [
                {"action": "user_message", "payload": "user 1"}
            ]
    assert calls == [1, 1]

    for path in ("/ws", "/ws?token=", "/ws?token=wrong"):
        client = WebsocketCommunicator(app, path)
        await client.connect()
        assert await client.assert_closed() == CloseCode.UNAUTHENTICATED == 4401
        await client.disconnect()
    assert calls == [1, 1]  # post_authentication never ran for refused connections
