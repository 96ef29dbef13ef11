"""The Django adapter's own behaviour: Channels routing, layers, scope, ASGI app shape."""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

import pytest
import websockets
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator as ChannelsCommunicator
from django.test import override_settings
from django.urls import re_path

from chanx.channels.routing import include, path
from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage
from chanx.testing.django import WebsocketCommunicator
from chanx.testing.server import LiveServer


class Where(BaseMessage):
    action: Literal["where"] = "where"
    payload: None = None


class Here(BaseMessage):
    action: Literal["here"] = "here"
    payload: dict[str, Any]


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"
    payload: str


class Located(AsyncJsonWebsocketConsumer):
    send_completion = True
    groups: ClassVar[list[str]] = ["located"]

    @ws_handler
    async def handle_where(self, message: Where) -> Here:
        route = self.scope["url_route"]
        return Here(payload={"kwargs": route["kwargs"], "path_params": self.scope["path_params"]})

    @ws_handler(output_type=Shout)
    async def handle_shout(self, message: Shout) -> None:
        await self.broadcast_message(message)


websocket_urlpatterns = [path("rooms/<int:pk>/", Located.as_asgi())]
router = URLRouter(
    [
        path("ws/", include(websocket_urlpatterns)),
        re_path(r"^re/(?P<slug>[a-z]+)/$", Located.as_asgi()),
    ]
)


async def test_url_route_kwargs_and_path_params_through_nested_routers() -> None:
    async with WebsocketCommunicator(router, "/ws/rooms/7/") as ws:
        await ws.send_message(Where())
        assert await ws.receive_all_messages() == [
            {"action": "here", "payload": {"kwargs": {"pk": 7}, "path_params": {"pk": 7}}}
        ]
    async with WebsocketCommunicator(router, "/re/abc/") as ws:
        await ws.send_message(Where())
        (frame,) = await ws.receive_all_messages()
        assert frame["payload"]["kwargs"] == {"slug": "abc"}


def test_include_takes_a_module_with_router_or_patterns() -> None:
    import sys

    module = sys.modules[__name__]
    assert include(module) is router
    with pytest.raises(AttributeError, match="websocket_urlpatterns"):
        include("chanx.channels.settings")


async def test_include_takes_a_router_instance_as_upstream_chanx_does() -> None:
    inner = URLRouter([path("rooms/<int:pk>/", Located.as_asgi())])
    assert include(inner) is inner
    outer = URLRouter([path("nested/", include(inner))])
    async with WebsocketCommunicator(outer, "/nested/rooms/3/") as ws:
        await ws.send_message(Where())
        (frame,) = await ws.receive_all_messages()
        assert frame["payload"]["kwargs"] == {"pk": 3}
    with pytest.raises(TypeError, match=r"include\(42\): pass a routing module"):
        include(42)  # type: ignore[arg-type]


def test_as_asgi_looks_like_channels_and_validates_overrides() -> None:
    app = Located.as_asgi(send_completion=False)
    assert app.consumer_class is Located
    assert app.consumer_initkwargs == {"send_completion": False}
    with pytest.raises(TypeError, match="not an attribute"):
        Located.as_asgi(nonsense=1)


async def test_non_websocket_scopes_are_refused() -> None:
    with pytest.raises(RuntimeError, match="ProtocolTypeRouter"):
        await Located()({"type": "http"}, None, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "backend", ["chanx.layers.memory.InMemoryChannelLayer", "channels.layers.InMemoryChannelLayer"]
)
async def test_channels_layers_and_ours_both_work_as_backend(backend: str) -> None:
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": backend}}):
        layer = Located.get_channel_layer()
        assert f"{type(layer).__module__}.{type(layer).__name__}" == backend
        async with (
            WebsocketCommunicator(router, "/ws/rooms/1/") as a,
            WebsocketCommunicator(router, "/ws/rooms/2/") as b,
        ):
            await a.send_message(Shout(payload="hey"))
            assert await b.receive_all_messages("group_complete") == [
                {"action": "shout", "payload": "hey"}
            ]
            await Located.broadcast_event(Shout(payload="x"))  # no handler: dropped, logged


async def test_without_channel_layers_the_consumer_runs_without_a_layer() -> None:
    with override_settings(CHANNEL_LAYERS={}):
        assert Located.get_channel_layer() is None
        async with WebsocketCommunicator(router, "/ws/rooms/1/") as ws:
            await ws.send_message(Where())
            assert len(await ws.receive_all_messages()) == 1


async def test_channels_own_communicator_works() -> None:
    client = ChannelsCommunicator(router, "/ws/rooms/3/")
    connected, _ = await client.connect()
    assert connected
    await client.send_json_to({"action": "where"})
    assert (await client.receive_json_from())["payload"]["kwargs"] == {"pk": 3}
    assert await client.receive_json_from() == {"action": "complete", "payload": None}
    await client.disconnect()


@pytest.mark.e2e
async def test_served_by_real_uvicorn() -> None:
    async with (
        LiveServer(router) as server,
        websockets.connect(server.ws_url("/ws/rooms/5/")) as ws,
    ):
        await ws.send(json.dumps({"action": "where"}))
        assert json.loads(await ws.recv())["payload"]["kwargs"] == {"pk": 5}


class Told(BaseMessage):
    action: Literal["told"] = "told"
    payload: str


class Listener(AsyncJsonWebsocketConsumer):
    send_completion = True
    groups: ClassVar[list[str]] = ["listeners"]
    passthrough_events: ClassVar[list[type[BaseMessage]]] = [Told]


@pytest.mark.parametrize("thread", ["sync_to_async", "plain thread"])
async def test_sync_twins_reach_the_serving_loop_from_any_thread(thread: str) -> None:
    import asyncio

    from asgiref.sync import sync_to_async

    async with WebsocketCommunicator(Listener.as_asgi(), "/") as ws:
        await ws.send_message({"action": "nothing"})  # served once connected and joined
        await ws.receive_all_messages()
        event = Told(payload=thread)
        if thread == "sync_to_async":
            await sync_to_async(Listener.broadcast_event_sync)(event)
        else:
            await asyncio.to_thread(Listener.broadcast_event_sync, event)
        assert await ws.receive_all_messages("event_complete") == [
            {"action": "told", "payload": thread}
        ]


def test_sync_twin_in_a_process_without_a_serving_loop_runs_its_own() -> None:
    from chanx.core.process import state

    state.home_loop = None
    Listener.broadcast_event_sync(Told(payload="nobody listens"))


def test_the_session_send_wrapper_is_skipped_only_while_it_ignores_websocket_messages() -> None:
    from channels.sessions import InstanceSessionWrapper

    from chanx.channels.websocket import _unwrap_session_send

    async def server_send(message: Any) -> None:
        return None

    scope = {"type": "websocket", "cookies": {}}
    inner = InstanceSessionWrapper(scope, server_send)
    outer = InstanceSessionWrapper(inner.scope, inner.send)  # nested stacks pass through
    assert _unwrap_session_send(inner.send) is server_send
    assert _unwrap_session_send(outer.send) is server_send
    assert _unwrap_session_send(server_send) is server_send
    acting = InstanceSessionWrapper(scope, server_send)
    acting.save_message_types = ["http.response.start", "websocket.accept"]
    assert _unwrap_session_send(acting.send) == acting.send


class SessionReader(AsyncJsonWebsocketConsumer):
    send_completion = True

    @ws_handler
    async def handle_where(self, message: Where) -> Here:
        session = self.scope["session"]
        return Here(payload={"session": type(session._wrapped).__name__})


async def test_behind_auth_middleware_frames_flow_and_the_session_is_in_scope() -> None:
    from channels.auth import AuthMiddlewareStack

    app = AuthMiddlewareStack(URLRouter([path("s/", SessionReader.as_asgi())]))
    async with WebsocketCommunicator(app, "/s/") as ws:
        for _ in range(2):
            await ws.send_message(Where())
            assert await ws.receive_all_messages() == [
                {"action": "here", "payload": {"session": "SessionStore"}}
            ]
