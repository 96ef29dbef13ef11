"""Every metric in `chanx_otel.METRICS`, asserted by name, attributes and value."""

from __future__ import annotations

import asyncio

import pytest
from chanx_otel import METRICS

from chanx import conf
from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.layers import configure_layers, get_channel_layer

from .conftest import Recorded
from .observed_chat import Boom, Chat, Hold, Nudge, Ping, client, release


def test_the_metric_table_names_fourteen_instruments() -> None:
    assert len(METRICS) == 14
    assert all(name.startswith("chanx.") for name in METRICS)


async def test_connections_frames_handlers_errors_and_closes(recorded: Recorded) -> None:
    async with client() as ws:
        assert recorded.value("chanx.connections.open", chanx_consumer="Chat") == 1
        for _ in range(3):
            await ws.send_message(Ping())
            assert await ws.receive_json() == {"action": "pong", "payload": None}
        await ws.send_text("{oops")
        assert (await ws.receive_json())["payload"]["code"] == "invalid_json"
        await ws.send_message({"action": "nope", "payload": None})
        assert (await ws.receive_json())["payload"]["code"] == "unknown_action"
        await ws.send_message(Boom())
        assert (await ws.receive_json())["payload"]["code"] == "internal_error"
    await asyncio.sleep(0)
    value = recorded.value
    assert value("chanx.connections.open", chanx_consumer="Chat") == 0
    assert value("chanx.connection.closes", chanx_consumer="Chat", websocket_close_code=1000) == 1
    duration = value("chanx.connection.duration", chanx_consumer="Chat")
    assert duration.count == 1
    assert duration.sum > 0
    assert value("chanx.frames.received", chanx_consumer="Chat", chanx_action="ping") == 3
    assert value("chanx.frames.received", chanx_consumer="Chat", chanx_action="boom") == 1
    assert value("chanx.frames.received", chanx_consumer="Chat", chanx_action="(invalid)") == 2
    assert value("chanx.frames.sent", chanx_consumer="Chat", chanx_action="pong") == 3
    assert value("chanx.frames.sent", chanx_consumer="Chat", chanx_action="error") == 3
    for reason in ("invalid_json", "unknown_action", "internal_error"):
        assert value("chanx.frames.errors", chanx_consumer="Chat", error_type=reason) == 1
    ping = value(
        "chanx.handler.duration",
        chanx_consumer="Chat",
        chanx_action="ping",
        chanx_handler_kind="ws",
    )
    assert ping.count == 3
    assert ping.sum >= 0
    boom = value(
        "chanx.handler.duration",
        chanx_consumer="Chat",
        chanx_action="boom",
        chanx_handler_kind="ws",
    )
    assert boom.count == 1


async def test_completion_frames_are_counted_by_their_action(recorded: Recorded) -> None:
    conf.configure(send_completion=True)
    async with client() as ws:
        await ws.send_message(Ping())
        assert await ws.receive_all_messages() == [{"action": "pong", "payload": None}]
    assert recorded.value("chanx.frames.sent", chanx_consumer="Chat", chanx_action="complete") == 1


async def test_events_and_relays_count_handler_time_and_frames(recorded: Recorded) -> None:
    async with client() as ws:
        await Chat.broadcast_event(Nudge(), ["room"])
        assert await ws.receive_json() == {"action": "nudge", "payload": None}
        await asyncio.sleep(0)
    value = recorded.value
    nudge = value(
        "chanx.handler.duration",
        chanx_consumer="Chat",
        chanx_action="nudge",
        chanx_handler_kind="event",
    )
    assert nudge.count == 1
    assert value("chanx.frames.sent", chanx_consumer="Chat", chanx_action="nudge") == 1


class Refuse(BaseAuthenticator):
    async def authenticate(self) -> bool:
        raise AuthenticationFailed(4403, "no", 403)


class Limited(BaseAuthenticator):
    class User:
        pk = 7

    async def authenticate(self) -> bool:
        self.user = self.User()
        return True


class RefusedChat(Chat):
    authenticator_class = Refuse


class LimitedChat(Chat):
    authenticator_class = Limited
    max_connections_per_user = 1


class StrictChat(Chat):
    allowed_origins = ()


async def test_refused_handshakes_by_cause(recorded: Recorded) -> None:
    ws = client(RefusedChat)
    await ws.connect()
    await ws.assert_closed(4403)
    ws = client(StrictChat, headers=[("origin", "https://elsewhere.test")])
    await ws.connect()
    async with client(LimitedChat) as first:
        second = client(LimitedChat)
        await second.connect()
        await second.assert_closed(4409)
        await first.send_message(Ping())
        await first.receive_json()
    value = recorded.value
    assert (
        value(
            "chanx.handshake.refusals",
            chanx_consumer="RefusedChat",
            chanx_refusal_cause="auth",
            websocket_close_code=4403,
        )
        == 1
    )
    assert (
        value(
            "chanx.handshake.refusals",
            chanx_consumer="StrictChat",
            chanx_refusal_cause="origin",
            websocket_close_code=1008,  # no `websocket.http.response` here (uvicorn: 403)
        )
        == 1
    )
    assert (
        value(
            "chanx.handshake.refusals",
            chanx_consumer="LimitedChat",
            chanx_refusal_cause="limit",
            websocket_close_code=4409,
        )
        == 1
    )
    assert value("chanx.connections.open", chanx_consumer="RefusedChat") is None  # never opened


async def test_backlog_gauge_and_backpressure_time(recorded: Recorded) -> None:
    release.clear()

    class Tight(Chat):
        max_pending_frames = 2

    async with client(Tight) as ws:
        for _ in range(4):  # one in progress, two waiting, one left unread
            await ws.send_message(Hold())
        await asyncio.sleep(0.05)
        backlog = recorded.value("chanx.frames.backlog", chanx_consumer="Tight")
        release.set()  # before asserting: a held handler would keep the connection open
        assert backlog == 2
        for _ in range(4):
            assert await ws.receive_json() == {"action": "pong", "payload": None}
    pauses = recorded.value("chanx.connection.backpressure.duration", chanx_consumer="Tight")
    assert pauses.count >= 1
    assert pauses.max > 0.03  # paused while the first frame was held
    assert recorded.value("chanx.frames.backlog", chanx_consumer="Tight") is None


async def test_layer_messages_sent_delivered_and_dropped(recorded: Recorded) -> None:
    configure_layers({"default": {"BACKEND": "memory", "CONFIG": {"capacity": 1}}})
    layer = get_channel_layer()
    async with client() as ws:
        await Chat.broadcast_event(Nudge(), ["room"])
        assert await ws.receive_json() == {"action": "nudge", "payload": None}
        await ws.send_message(Ping())
        await ws.receive_json()
    stats = layer.stats  # type: ignore[attr-defined]
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "x"})
    await layer.group_add("full", channel)
    await layer.group_send("full", {"type": "x"})  # capacity 1: dropped
    value = recorded.value
    assert value("chanx.layer.messages.sent", chanx_layer="default") == stats.sent == 2
    assert value("chanx.layer.messages.delivered", chanx_layer="default") == stats.delivered == 1
    assert (
        value("chanx.layer.messages.dropped", chanx_layer="default", chanx_drop_reason="capacity")
        == 1
    )
    assert (
        value("chanx.layer.messages.dropped", chanx_layer="default", chanx_drop_reason="expired")
        == 0
    )
    assert value("chanx.layer.redis.reconnects", chanx_layer="default") is None  # memory layer


@pytest.mark.parametrize("name", sorted(METRICS))
def test_every_metric_is_in_the_guide(name: str) -> None:
    from pathlib import Path

    guide = Path(__file__).resolve().parents[4] / "docs" / "observability.md"
    _, unit, _, attributes = METRICS[name]
    row = next((line for line in guide.read_text().splitlines() if f"`{name}`" in line), "")
    assert row, f"docs/observability.md has no row for {name}"
    assert f"`{unit}`" in row
    for attribute in attributes:
        assert f"`{attribute}`" in row


async def test_histograms_bucket_seconds_with_sub_millisecond_resolution(
    recorded: Recorded,
) -> None:
    async with client() as ws:
        await ws.send_message(Ping())
        await ws.receive_json()
    point = recorded.value(
        "chanx.handler.duration",
        chanx_consumer="Chat",
        chanx_action="ping",
        chanx_handler_kind="ws",
    )
    assert point.explicit_bounds[:4] == (0.0001, 0.00025, 0.0005, 0.001)
    duration = recorded.value("chanx.connection.duration", chanx_consumer="Chat")
    assert duration.explicit_bounds[0] == 1.0
