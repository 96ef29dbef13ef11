"""The chat example project: the seed guide's Django examples, run as written.

Through the project's own ASGI application (``AuthMiddlewareStack`` + ``URLRouter``), with
Channels' `WebsocketCommunicator` and chanx's, and end to end on real uvicorn.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator as ChannelsCommunicator
from django.core.management import call_command
from django.test import Client, override_settings

from chanx.testing.django import WebsocketCommunicator, session_cookie, token_header
from chanx.testing.server import LiveServer

COMPLETION = {"SEND_COMPLETION": True}
SAME_SITE = [(b"host", b"testserver"), (b"origin", b"http://testserver")]


def application() -> Any:
    from chat_project.asgi import application

    return application


@override_settings(CHANX=COMPLETION)
async def test_room_chat_joins_room_group_and_broadcasts(alice: Any, room: Any) -> None:
    from chat.models import ChatRoom

    other = await sync_to_async(_member_of)(room)
    url = f"/ws/rooms/{room.pk}/"
    async with (
        WebsocketCommunicator(application(), url, user=alice) as a,
        WebsocketCommunicator(application(), url, user=other) as b,
    ):
        for ws in (a, b):  # a pong means the connection is authenticated and in its room
            await ws.send_message({"action": "ping"})
            assert await ws.receive_all_messages() == [{"action": "pong", "payload": None}]
        await a.send_message({"action": "chat", "payload": {"message": "hi"}})
        expected = {
            "action": "chat_notification",
            "payload": {"message": "hi", "username": alice.username, "room_id": room.pk},
        }
        assert await a.receive_all_messages(("complete", "group_complete")) == [expected]
        assert await b.receive_all_messages("group_complete") == [expected]
    assert await sync_to_async(ChatRoom.objects.count)() >= 1


def _member_of(room: Any) -> Any:
    from django.contrib.auth.models import User

    user = User.objects.create_user(f"carol-{room.pk}-{User.objects.count()}")
    room.members.add(user)
    return user


async def test_channels_own_communicator_drives_the_project(alice: Any, room: Any) -> None:
    cookie = await sync_to_async(session_cookie)(alice)
    client = ChannelsCommunicator(
        application(), f"/ws/rooms/{room.pk}/", headers=[cookie, *SAME_SITE]
    )
    connected, _ = await client.connect()
    assert connected
    await client.send_json_to({"action": "ping"})
    assert await client.receive_json_from() == {"action": "pong", "payload": None}
    await client.disconnect()


async def test_non_member_is_refused_with_4403(bob: Any, room: Any, token_of: Any) -> None:
    token = await sync_to_async(token_of)(bob)
    client = ChannelsCommunicator(
        application(), f"/ws/rooms/{room.pk}/", headers=[token_header(token), *SAME_SITE]
    )
    connected, _ = await client.connect()
    assert connected
    assert (await client.receive_output())["code"] == 4403
    await client.disconnect()


@override_settings(CHANX=COMPLETION)
async def test_event_from_a_sync_view_reaches_the_room(alice: Any, room: Any) -> None:
    async with WebsocketCommunicator(application(), f"/ws/rooms/{room.pk}/", user=alice) as ws:
        response = await sync_to_async(Client().post)(
            f"/rooms/{room.pk}/notify/", {"username": "dave"}, content_type="application/json"
        )
        assert response.status_code == 200
        assert await ws.receive_all_messages("event_complete") == [
            {
                "action": "user_joined",
                "payload": {"username": "dave", "message": "dave joined the room"},
            }
        ]


@override_settings(CHANX=COMPLETION)
async def test_news_post_view_broadcasts_to_the_news_feed() -> None:
    async with WebsocketCommunicator(application(), "/ws/notifications/") as ws:
        response = await sync_to_async(Client().post)(
            "/posts/", {"id": 7, "title": "Hello"}, content_type="application/json"
        )
        assert response.json() == {"status": "created"}
        assert await ws.receive_all_messages("event_complete") == [
            {"action": "new_post", "payload": {"post_id": 7, "title": "Hello"}}
        ]


@override_settings(CHANX=COMPLETION)
async def test_management_command_sends_an_announcement() -> None:
    async with WebsocketCommunicator(application(), "/ws/announcements/") as ws:
        await sync_to_async(call_command)("send_announcement", "Maintenance at noon")
        assert await ws.receive_all_messages("event_complete") == [
            {"action": "system_announcement", "payload": "Maintenance at noon"}
        ]


@override_settings(CHANX=COMPLETION)
async def test_celery_style_task_sends_to_one_channel() -> None:
    from chat.consumers import NotificationConsumer
    from chat.tasks import process_payment

    names: list[str] = []

    class Tracked(NotificationConsumer):
        async def post_authentication(self) -> None:
            names.append(self.channel_name)

    async with (
        WebsocketCommunicator(Tracked.as_asgi(), "/ws/notifications/") as target,
        WebsocketCommunicator(Tracked.as_asgi(), "/ws/notifications/") as other,
    ):
        await sync_to_async(process_payment)(42, names[0])
        assert await target.receive_all_messages("event_complete") == [
            {"action": "payment_complete", "payload": {"status": "paid"}}
        ]
        assert await other.receive_nothing()


@pytest.mark.e2e
async def test_room_chat_on_real_uvicorn(alice: Any, room: Any) -> None:
    name, value = await sync_to_async(session_cookie)(alice)
    headers = {name.decode(): value.decode()}
    async with LiveServer(application()) as server:
        url = server.ws_url(f"/ws/rooms/{room.pk}/")
        origin = server.base_url  # the page's own origin, as a browser sends it
        async with (
            websockets.connect(url, additional_headers=headers, origin=origin) as a,
            websockets.connect(url, additional_headers=headers, origin=origin) as b,
        ):
            for ws in (a, b):  # a pong means the connection is authenticated and in its room
                await ws.send(json.dumps({"action": "ping"}))
                assert json.loads(await ws.recv()) == {"action": "pong", "payload": None}
            await a.send(json.dumps({"action": "chat", "payload": {"message": "live"}}))
            for ws in (a, b):
                frame = json.loads(await ws.recv())
                assert frame["payload"]["message"] == "live"
        async with websockets.connect(url, origin=origin) as anonymous:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await anonymous.recv()
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4401


async def test_session_login_from_another_site_is_refused_before_accept(
    alice: Any, room: Any
) -> None:
    """Session cookies authenticate, so a cross-site page must not ride them (CSWSH)."""
    cookie = await sync_to_async(session_cookie)(alice)
    for origin in (b"https://evil.example", None):
        headers = [cookie, (b"host", b"testserver")]
        if origin is not None:
            headers.append((b"origin", origin))
        client = ChannelsCommunicator(application(), f"/ws/rooms/{room.pk}/", headers=headers)
        assert await client.connect() == (False, 1008)
        await client.wait()


@override_settings(CHANX=COMPLETION)
async def test_create_demo_room_prints_what_a_client_connects_with() -> None:
    from io import StringIO

    out = StringIO()
    await sync_to_async(call_command)(
        "create_demo_room", "--username", "readme", "--room", "readme-room", stdout=out
    )
    room_line, header_line = out.getvalue().splitlines()
    url = room_line.removeprefix("room: ")
    key = header_line.removeprefix("header: Authorization: Token ")
    async with WebsocketCommunicator(application(), url, [token_header(key)]) as ws:
        await ws.send_message({"action": "chat", "payload": {"message": "hi"}})
        (frame,) = await ws.receive_all_messages(("complete", "group_complete"))
        assert frame["payload"]["username"] == "readme"


def test_the_example_serves_its_asyncapi_document() -> None:
    response = Client().get("/asyncapi/asyncapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert {"room_chat", "announcements", "notifications"} <= {
        channel["title"] for channel in document["channels"].values()
    }
