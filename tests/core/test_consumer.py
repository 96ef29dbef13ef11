"""The per-connection runtime, driven in-process through each adapter's communicator.

Every test taking `adapter` runs on Starlette and on Django Channels (see `conftest.py`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar, Literal

import pytest
from pydantic import BaseModel

from chanx.core.decorators import event_handler, ws_handler
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage
from chanx.testing.capture import capture_broadcast_events


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: str


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: str


class Quiet(BaseMessage):
    action: Literal["quiet"] = "quiet"
    payload: None = None


class Twice(BaseMessage):
    action: Literal["twice"] = "twice"
    payload: str


class Shout(BaseMessage):
    action: Literal["shout"] = "shout"
    payload: str


class Boom(BaseMessage):
    action: Literal["boom"] = "boom"
    payload: None = None


class Notify(BaseMessage):
    action: Literal["notify"] = "notify"
    payload: str


class Joined(BaseMessage):
    action: Literal["joined"] = "joined"
    payload: str


class RoomBody:
    send_completion = True
    groups: ClassVar[list[str]] = ["lobby"]
    passthrough_events: ClassVar[list[type[BaseMessage]]] = [Joined]

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler
    async def handle_say(self, message: Say) -> Said:
        return Said(payload=message.payload.upper())

    @ws_handler
    async def handle_quiet(self, message: Quiet) -> None:
        return None

    @ws_handler(output_type=Said)
    async def handle_twice(self, message: Twice) -> None:
        await self.send_message(Said(payload="1"))
        await self.send_message(Said(payload="2"))

    @ws_handler(output_type=Said)
    async def handle_shout(self, message: Shout) -> None:
        target = self.scope["path_params"].get("target")
        groups = [target] if target else None
        await self.broadcast_message(
            Said(payload=message.payload), groups=groups, exclude_current=message.payload == "x"
        )

    @ws_handler
    async def handle_boom(self, message: Boom) -> None:
        raise RuntimeError("secret detail")

    @event_handler
    async def handle_notify(self, event: Notify) -> Said:
        return Said(payload=f"event:{event.payload}")


@pytest.fixture
def room(adapter: Any) -> Any:
    return adapter.consumer(RoomBody)


@pytest.fixture
def app(adapter: Any, room: Any) -> Any:
    return adapter.app(("/room", room), ("/room/{target}", room))


async def test_return_value_goes_to_the_sender(adapter: Any, app: Any) -> None:
    async with adapter.client(app, "/room") as client:
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]
        await client.send_message(Say(payload="hi"))
        assert await client.receive_all_messages() == [{"action": "said", "payload": "HI"}]


async def test_none_sends_nothing_and_send_message_sends_each(adapter: Any, app: Any) -> None:
    async with adapter.client(app, "/room") as client:
        await client.send_message(Quiet())
        assert await client.receive_all_messages() == []
        await client.send_message(Twice(payload=""))
        assert [f["payload"] for f in await client.receive_all_messages()] == ["1", "2"]


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('"text"', "invalid_frame"),
        ("null", "invalid_frame"),
        ('{"payload": 1}', "missing_action"),
        ('{"action": "nope"}', "unknown_action"),
        ('{"action": "say", "payload": 5}', "invalid_message"),
    ],
)
async def test_bad_input_gets_one_error_frame_and_the_next_frame_is_served(
    adapter: Any, app: Any, frame: str, code: str
) -> None:
    async with adapter.client(app, "/room") as client:
        await client.send_text(frame)
        (error,) = await client.receive_all_messages()
        assert error["action"] == "error"
        assert error["payload"]["code"] == code
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]


async def test_validation_errors_carry_locations_but_not_the_input(adapter: Any, app: Any) -> None:
    async with adapter.client(app, "/room") as client:
        await client.send_text('{"action": "say", "payload": {"secret": "hunter2"}}')
        (error,) = await client.receive_all_messages()
        assert error["payload"]["errors"] == [
            {"loc": ["payload"], "msg": "Input should be a valid string", "type": "string_type"}
        ]
        assert "hunter2" not in str(error)
        await client.send_text('{"action": "secret-hunter2"}')
        (error,) = await client.receive_all_messages()
        assert "hunter2" not in str(error)
        assert (
            error["payload"]["message"]
            == "Unknown 'action'. Expected one of: boom, ping, quiet, say, shout, twice."
        )


async def test_binary_frames_get_an_error_frame(adapter: Any, app: Any) -> None:
    async with adapter.client(app, "/room") as client:
        await client.send_bytes(b"\x00\x01")
        (error,) = await client.receive_all_messages()
        assert error["payload"]["code"] == "invalid_frame"


async def test_handler_exception_sends_a_generic_error_and_logs_the_traceback(
    adapter: Any, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with adapter.client(app, "/room") as client:
        with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
            await client.send_message(Boom())
            (error,) = await client.receive_all_messages()
        assert error["payload"]["code"] == "internal_error"
        assert "secret" not in str(error)
        assert any("secret detail" in (r.exc_text or "") for r in caplog.records)
        await client.send_message(PingMessage())
        assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]


async def test_broadcast_to_default_groups_and_exclude_current(adapter: Any, app: Any) -> None:
    async with (
        adapter.client(app, "/room") as a,
        adapter.client(app, "/room") as b,
    ):
        await a.send_message(Shout(payload="hello"))
        both = ("complete", "group_complete")
        assert await a.receive_all_messages(both) == [{"action": "said", "payload": "hello"}]
        assert await b.receive_all_messages("group_complete") == [
            {"action": "said", "payload": "hello"}
        ]
        await a.send_message(Shout(payload="x"))  # "x" excludes the sender
        assert await b.receive_all_messages("group_complete") == [
            {"action": "said", "payload": "x"}
        ]
        assert await a.receive_all_messages(both) == []


async def test_broadcast_to_explicit_groups_reaches_only_members(adapter: Any, app: Any) -> None:
    async with (
        adapter.client(app, "/room/lobby") as sender,
        adapter.client(app, "/room") as member,
    ):
        await sender.send_message(Shout(payload="to-lobby"))
        assert await member.receive_all_messages("group_complete") == [
            {"action": "said", "payload": "to-lobby"}
        ]


async def test_events_by_group_and_by_channel_name_reach_the_event_handler(
    adapter: Any, room: Any
) -> None:
    joined: list[Any] = []

    class Tracked(room):  # type: ignore[misc, valid-type]
        async def post_authentication(self) -> None:
            joined.append(self)

    tracked = adapter.app(("/t", Tracked))
    async with adapter.client(tracked, "/t") as client:
        await Tracked.broadcast_event(Notify(payload="all"))
        assert await client.receive_all_messages("event_complete") == [
            {"action": "said", "payload": "event:all"}
        ]
        await Tracked.send_event(Notify(payload="one"), joined[0].channel_name)
        assert await client.receive_all_messages("event_complete") == [
            {"action": "said", "payload": "event:one"}
        ]
        await Tracked.broadcast_event(Joined(payload="ann"), groups=["lobby"])
        assert await client.receive_all_messages("event_complete") == [
            {"action": "joined", "payload": "ann"}
        ]


async def test_capture_broadcast_events_records_and_still_delivers(
    adapter: Any, app: Any, room: Any
) -> None:
    async with adapter.client(app, "/room") as client:
        with capture_broadcast_events(room) as captured:
            await room.broadcast_event(Notify(payload="c"))
        assert [(c.event, c.groups, c.targets) for c in captured] == [
            (Notify(payload="c"), None, ("lobby",))
        ]
        assert await client.receive_all_messages("event_complete") != []


class GateBody:
    send_completion = True
    released: ClassVar[asyncio.Event]
    cancelled: ClassVar[list[str]] = []

    @ws_handler
    async def handle_say(self, message: Say) -> Said:
        if message.payload == "wait":
            try:
                await self.released.wait()
            except asyncio.CancelledError:
                self.cancelled.append("wait")
                raise
        return Said(payload=message.payload)

    @event_handler
    async def handle_notify(self, event: Notify) -> Said:
        return Said(payload=f"event:{event.payload}")


@pytest.fixture
def gate_app(adapter: Any) -> Any:
    return adapter.app(("/gate", adapter.consumer(GateBody)))


async def test_frames_are_served_in_arrival_order_and_events_meanwhile(
    adapter: Any, gate_app: Any
) -> None:
    GateBody.released = asyncio.Event()
    async with adapter.client(gate_app, "/gate") as client:
        await client.send_message(Say(payload="wait"))
        await client.send_message(Say(payload="after"))
        assert await client.receive_nothing()
        GateBody.released.set()
        frames = await client.receive_all_messages() + await client.receive_all_messages()
        assert [f["payload"] for f in frames] == ["wait", "after"]


async def test_layer_events_are_served_while_a_handler_is_busy(adapter: Any) -> None:
    GateBody.released = asyncio.Event()
    instances: list[Any] = []

    class Busy(adapter.consumer(GateBody)):  # type: ignore[misc]
        async def post_authentication(self) -> None:
            instances.append(self)

    busy_app = adapter.app(("/busy", Busy))
    async with adapter.client(busy_app, "/busy") as client:
        await client.send_message(Say(payload="wait"))
        await Busy.send_event(Notify(payload="meanwhile"), instances[0].channel_name)
        assert await client.receive_all_messages("event_complete") == [
            {"action": "said", "payload": "event:meanwhile"}
        ]
        GateBody.released.set()
        assert await client.receive_all_messages() == [{"action": "said", "payload": "wait"}]


async def test_a_handler_still_running_at_disconnect_is_cancelled(
    adapter: Any, gate_app: Any
) -> None:
    GateBody.released = asyncio.Event()
    GateBody.cancelled.clear()
    client = adapter.client(gate_app, "/gate")
    await client.connect()
    await client.send_message(Say(payload="wait"))
    assert await client.receive_nothing()
    await client.disconnect()
    assert GateBody.cancelled == ["wait"]


async def test_send_event_sync_from_a_worker_thread_reaches_the_loop(
    adapter: Any, app: Any, room: Any
) -> None:
    async with adapter.client(app, "/room") as client:
        await adapter.in_worker_thread(room.broadcast_event_sync, Notify(payload="sync"))
        assert await client.receive_all_messages("event_complete") == [
            {"action": "said", "payload": "event:sync"}
        ]


async def test_sync_twins_refuse_to_run_inside_the_event_loop(room: Any) -> None:
    with pytest.raises(RuntimeError, match="await the async method"):
        room.broadcast_event_sync(Notify(payload="x"))


def test_sync_twin_without_a_serving_loop_runs_on_its_own_loop(room: Any) -> None:
    from chanx.core.process import state

    state.home_loop = None
    room.broadcast_event_sync(Notify(payload="nobody listens"))


async def test_logging_reports_actions_and_sizes_not_payloads(
    adapter: Any, room: Any, caplog: pytest.LogCaptureFixture
) -> None:
    class Logged(room):  # type: ignore[misc, valid-type]
        log_websocket_message = True
        log_ignored_actions: ClassVar[list[str]] = ["ping", "pong"]

    logged = adapter.app(("/l", Logged))
    async with adapter.client(logged, "/l") as client:
        with caplog.at_level(logging.INFO, logger="chanx.consumer"):
            await client.send_message(Say(payload="topsecret"))
            await client.receive_all_messages()
            await client.send_message(PingMessage())
            await client.receive_all_messages()
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("received action=say" in line for line in lines)
    assert any("sent action=said" in line for line in lines)
    assert not any("topsecret" in line for line in lines)
    assert not any("action=ping" in line or "action=pong" in line for line in lines)


def test_as_asgi_rejects_unknown_and_plan_shaping_overrides(room: Any) -> None:
    with pytest.raises(TypeError, match="not an attribute"):
        room.as_asgi(nonsense=1)
    with pytest.raises(TypeError, match="shapes the compiled plan"):
        room.as_asgi(camelize=True)


async def test_generic_parameter_works_at_runtime(adapter: Any) -> None:
    class Typed(adapter.base[Notify]):  # type: ignore[misc, name-defined]
        send_completion = True

        @event_handler
        async def handle_notify(self, event: Notify) -> Said:
            return Said(payload=event.payload)

    typed = adapter.app(("/typed", Typed))
    async with adapter.client(typed, "/typed") as client:
        await client.send_message(PingMessage())
        (error,) = await client.receive_all_messages()
        assert error["payload"]["code"] == "unknown_action"
    assert Typed.__chanx_plan__.event_routes["action=notify"].output_type is Said


async def test_closing_the_layer_stops_events_but_not_the_connection(
    adapter: Any, app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with adapter.client(app, "/room") as client:
        with caplog.at_level(logging.INFO, logger="chanx.consumer"):
            await adapter.close_layers()
            await client.send_message(PingMessage())
            assert await client.receive_all_messages() == [{"action": "pong", "payload": None}]
        assert any("channel layer closed" in r.getMessage() for r in caplog.records)


# -- camelize (the chanx-format-camelize plugin; skipped when it is not installed) ------------


class Profile(BaseModel):
    user_name: str
    is_admin: bool = False


class SetProfile(BaseMessage):
    action: Literal["set_profile"] = "set_profile"
    payload: Profile


class ProfileSet(BaseMessage):
    action: Literal["profile_set"] = "profile_set"
    payload: Profile


class ProfileChanged(BaseMessage):
    action: Literal["profile_changed"] = "profile_changed"
    payload: Profile


class CamelBody:
    send_completion = True
    camelize = True
    groups: ClassVar[list[str]] = ["camels"]
    passthrough_events: ClassVar[list[type[BaseMessage]]] = [ProfileChanged]

    @ws_handler
    async def handle_set_profile(self, message: SetProfile) -> ProfileSet:
        await self.broadcast_message(ProfileChanged(payload=message.payload))  # type: ignore[attr-defined]
        return ProfileSet(payload=message.payload)


@pytest.fixture
def camel(adapter: Any) -> Any:
    from chanx.kernel import get_plugin_host

    if "camelize" not in get_plugin_host().formatters.names():
        pytest.skip('needs the camelize formatter: pip install "chanx[camelize]"')
    return adapter.consumer(CamelBody)


async def test_camelize_reads_and_writes_camel_case_keys(adapter: Any, camel: Any) -> None:
    app = adapter.app(("/camel", camel))
    async with adapter.client(app, "/camel") as a, adapter.client(app, "/camel") as b:
        await a.send_message({"action": "set_profile", "payload": {"userName": "ann"}})
        frames = await a.receive_all_messages(("complete", "group_complete"))
        wire = {"userName": "ann", "isAdmin": False}
        assert sorted(frames, key=lambda f: f["action"]) == [
            {"action": "profile_changed", "payload": wire},
            {"action": "profile_set", "payload": wire},
        ]
        assert await b.receive_all_messages("group_complete") == [
            {"action": "profile_changed", "payload": wire}
        ]
        await camel.broadcast_event(ProfileChanged(payload=Profile(user_name="bo")))
        for client in (a, b):
            assert await client.receive_all_messages("event_complete") == [
                {"action": "profile_changed", "payload": {"userName": "bo", "isAdmin": False}}
            ]
