"""Topics on both adapters: subscribing, routing by envelope, errors, pushes, limits."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from chanx.core.decorators import ws_handler
from chanx.core.topic import Topic
from chanx.core.topics.plan import TopicsPlan
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


class Say(BaseMessage):
    action: Literal["say"] = "say"
    payload: str


class Said(BaseMessage):
    action: Literal["said"] = "said"
    payload: str


class LobbySaid(BaseMessage):
    action: Literal["lobby_said"] = "lobby_said"
    payload: str


class Where(BaseMessage):
    action: Literal["where"] = "where"
    payload: None = None


class Here(BaseMessage):
    action: Literal["here"] = "here"
    payload: dict[str, Any]


log: list[str] = []


class RoomTopic(Topic[Said]):
    pattern = "room/{room_id}"
    history_size = 100

    async def authorize(self, **params: str) -> bool:
        return params["room_id"] != "secret"

    async def on_subscribe(self) -> None:
        log.append(f"subscribed {self.topic}")

    async def on_unsubscribe(self) -> None:
        log.append(f"unsubscribed {self.topic}")

    @ws_handler
    async def handle_say(self, message: Say) -> None:
        await type(self).broadcast(self.topic, Said(payload=message.payload))

    @ws_handler
    async def handle_where(self, message: Where) -> Here:
        return Here(payload={"params": self.params, "topics": sorted(self.consumer.subscriptions)})


class LobbyTopic(Topic[LobbySaid]):
    pattern = "lobby"

    @ws_handler
    async def handle_say(self, message: Say) -> LobbySaid:
        return LobbySaid(payload=message.payload.upper())


class ChatBody:
    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        return PongMessage()


_topics: dict[tuple[str, type], Any] = {}


def topic_for(adapter: Any, base: type[Topic[Any]]) -> Any:
    """A subclass of `base` per adapter, so each broadcasts through its adapter's layer."""
    key = (adapter.name, base)
    if key not in _topics:
        _topics[key] = type(f"{base.__name__}{adapter.name.title()}", (base,), {})
    return _topics[key]


def chat(adapter: Any, **attributes: Any) -> tuple[Any, Any, Any]:
    room, lobby = topic_for(adapter, RoomTopic), topic_for(adapter, LobbyTopic)
    attributes.setdefault("topics", [room, lobby])
    consumer = adapter.consumer(ChatBody, **attributes)
    return adapter.app(("/chat", consumer)), room, consumer


def frame(
    action: str, topic: str | None = None, ref: str | None = None, **extra: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {"action": action, **extra}
    if topic is not None:
        data.update(version=1, topic=topic)
    if ref is not None:
        data["ref"] = ref
    return data


async def subscribe(client: Any, topic: str, ref: str = "1", **extra: Any) -> dict[str, Any]:
    await client.send_message(frame("subscribe", topic, ref, **extra))
    reply: dict[str, Any] = await client.receive_json()
    return reply


async def test_subscribe_replies_with_the_envelope_and_the_topic_position(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        reply = await subscribe(client, "room/7", ref="r1")
        assert reply.pop("epoch")
        assert reply == {
            "action": "subscribed",
            "payload": None,
            "version": 1,
            "topic": "room/7",
            "ref": "r1",
            "offset": 0,
        }
        assert log[-1] == "subscribed room/7"
        again = await subscribe(client, "room/7", ref="r2")
        assert again["action"] == "subscribed"
        assert again["ref"] == "r2"


async def test_topic_errors_name_their_reason(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        unknown = await subscribe(client, "nowhere/1")
        assert unknown["action"] == "error"
        assert unknown["topic"] == "nowhere/1"
        assert unknown["payload"]["reason"] == "unknown_topic"
        denied = await subscribe(client, "room/secret", ref="2")
        assert (denied["payload"]["reason"], denied["ref"]) == ("unauthorized", "2")
        await client.send_message(frame("say", "room/1", "3", payload="hi"))
        missing = await client.receive_json()
        assert missing["payload"]["reason"] == "not_subscribed"
        await client.send_message(frame("unsubscribe", "room/1", "4"))
        assert (await client.receive_json())["payload"]["reason"] == "not_subscribed"


async def test_frames_route_by_topic_and_two_topics_share_an_action(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        await subscribe(client, "room/3")
        await subscribe(client, "lobby")
        await client.send_message(frame("say", "lobby", "a", payload="hey"))
        reply = await client.receive_json()
        assert reply == {
            "action": "lobby_said",
            "payload": "HEY",
            "version": 1,
            "topic": "lobby",
            "ref": "a",
        }
        await client.send_message(frame("say", "room/3", "b", payload="hey"))
        push = await client.receive_json()
        assert (push["action"], push["topic"], push["offset"]) == ("said", "room/3", 1)
        assert "ref" not in push
        await client.send_message(frame("where", "room/3", "c"))
        here = await client.receive_json()
        assert here["payload"] == {"params": {"room_id": "3"}, "topics": ["lobby", "room/3"]}


async def test_a_frame_without_topic_goes_to_the_consumer_and_echoes_its_ref(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        await client.send_message(frame("ping", ref="p1"))
        assert await client.receive_json() == {
            "action": "pong",
            "payload": None,
            "version": 1,
            "ref": "p1",
        }
        await client.send_message(frame("ping"))
        assert await client.receive_json() == {"action": "pong", "payload": None}
        await client.send_message(frame("nope", ref="x"))
        error = await client.receive_json()
        assert (error["payload"]["code"], error["ref"]) == ("unknown_action", "x")


async def test_pushes_carry_offset_epoch_and_the_callers_seq(adapter: Any) -> None:
    app, room, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        first = await subscribe(client, "room/5")
        await room.broadcast("room/5", Said(payload="one"), seq=41)
        await room.broadcast("room/5", Said(payload="two"))
        one, two = await client.receive_json(), await client.receive_json()
        assert one == {
            "action": "said",
            "payload": "one",
            "version": 1,
            "topic": "room/5",
            "offset": 1,
            "epoch": first["epoch"],
            "seq": 41,
        }
        assert (two["offset"], "seq" in two) == (2, False)
        with pytest.raises(ValueError, match="does not match"):
            await room.broadcast("kitchen/1", Said(payload="x"))


async def test_unsubscribe_stops_pushes_and_runs_the_hook(adapter: Any) -> None:
    app, room, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        await subscribe(client, "room/8")
        await client.send_message(frame("unsubscribe", "room/8", "u"))
        assert await client.receive_json() == {
            "action": "unsubscribed",
            "payload": None,
            "version": 1,
            "topic": "room/8",
            "ref": "u",
        }
        assert log[-1] == "unsubscribed room/8"
        await room.broadcast("room/8", Said(payload="gone"))
        assert await client.receive_nothing()


async def test_disconnect_leaves_every_topic(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    client = adapter.client(app, "/chat")
    await client.connect()
    await subscribe(client, "room/11")
    await subscribe(client, "room/12")
    log.clear()
    await client.disconnect()
    assert sorted(log) == ["unsubscribed room/11", "unsubscribed room/12"]


async def test_subscriptions_per_connection_are_limited(adapter: Any) -> None:
    app, _, _ = chat(adapter, max_subscriptions=2)
    async with adapter.client(app, "/chat") as client:
        await subscribe(client, "room/1")
        await subscribe(client, "room/2")
        over = await subscribe(client, "room/3")
        assert over["payload"]["reason"] == "too_many_subscriptions"
        await client.send_message(frame("ping", ref="still"))
        assert (await client.receive_json())["action"] == "pong"


async def test_the_subscribe_rate_is_limited(adapter: Any) -> None:
    app, _, _ = chat(adapter, subscribe_rate=(2, 60.0))
    async with adapter.client(app, "/chat") as client:
        await subscribe(client, "room/1")
        await subscribe(client, "room/2")
        over = await subscribe(client, "room/3")
        assert over["payload"]["reason"] == "subscribe_rate_limited"


async def test_bad_envelopes_get_an_error_frame(adapter: Any) -> None:
    app, _, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        await client.send_message({"action": "subscribe", "topic": 5})
        assert (await client.receive_json())["payload"]["code"] == "invalid_frame"
        await client.send_message({"action": "subscribe", "topic": "room/1", "version": 2})
        assert (await client.receive_json())["payload"]["code"] == "invalid_frame"
        await client.send_text("not json")
        assert (await client.receive_json())["payload"]["code"] == "invalid_json"
        await client.send_message(frame("subscribe", "room/1", since={"offset": "x"}))
        assert (await client.receive_json())["payload"]["code"] == "invalid_message"


def test_a_consumer_without_topics_keeps_the_plain_path(adapter: Any) -> None:
    plain = adapter.consumer(ChatBody)
    _, _, with_topics = chat(adapter)
    assert plain.__chanx_plan__.topics is None
    assert isinstance(with_topics.__chanx_plan__.topics, TopicsPlan)


async def test_communicator_helpers_and_capture_topic_broadcasts(adapter: Any) -> None:
    from chanx.testing import capture_topic_broadcasts

    app, room, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        reply = await client.subscribe("room/h")
        assert reply["action"] == "subscribed"
        with capture_topic_broadcasts(room) as captured:
            await client.send_to_topic("room/h", Say(payload="quiet"), ref="q")
            await client.send_message(frame("ping", ref="done"))
            assert (await client.receive_json())["ref"] == "done"
        assert [(c.topic, c.event, c.seq) for c in captured] == [
            ("room/h", Said(payload="quiet"), None)
        ]
        assert await client.receive_nothing()
        with capture_topic_broadcasts(room, suppress=False) as captured:
            await room.broadcast("room/h", Said(payload="loud"), seq=3)
        assert (await client.receive_json())["payload"] == "loud"
        assert captured[0].seq == 3
        assert "broadcast" not in vars(room)
        left = await client.unsubscribe("room/h")
        assert left["action"] == "unsubscribed"
        assert (await client.unsubscribe("room/h"))["payload"]["reason"] == "not_subscribed"


async def test_broadcast_sync_from_a_worker_thread_reaches_subscribers(adapter: Any) -> None:
    app, room, _ = chat(adapter)
    async with adapter.client(app, "/chat") as client:
        await client.subscribe("room/sync")
        await adapter.in_worker_thread(room.broadcast_sync, "room/sync", Said(payload="from sync"))
        push = await client.receive_json()
        assert (push["payload"], push["offset"]) == ("from sync", 1)


def test_topic_classes_are_checked_when_the_consumer_is_created(adapter: Any) -> None:
    from chanx.core.plan import ConsumerDefinitionError

    class Clash(Topic[Said]):
        pattern = "clash/{n}"

        @ws_handler
        async def handle_subscribe(self, message: SubscribeLike) -> None:
            return None

    with pytest.raises(ConsumerDefinitionError, match="topic protocol's own action"):
        adapter.consumer(ChatBody, topics=[Clash])
    with pytest.raises(ConsumerDefinitionError, match="need a channel layer"):
        adapter.consumer(ChatBody, topics=[RoomTopic], channel_layer_alias=None)
    with pytest.raises(ConsumerDefinitionError, match="not a Topic subclass"):
        adapter.consumer(ChatBody, topics=[ChatBody])
    with pytest.raises(TypeError, match="repeats a parameter"):

        class Twice(Topic[Said]):
            pattern = "a/{x}/{x}"


def test_parse_and_group_names() -> None:
    assert RoomTopic.parse("room/7") == {"room_id": "7"}
    assert RoomTopic.parse("room/7/extra") is None
    assert RoomTopic.param_names == ("room_id",)
    name = RoomTopic.group_name("room/7")
    assert name.startswith("topic.RoomTopic.room_7.")
    assert name != RoomTopic.group_name("room_7")  # '/' was replaced: a digest tells them apart
    assert RoomTopic.group_name("x" * 300).__len__() < 100
    assert LobbyTopic.group_name("lobby") == "topic.LobbyTopic.lobby"


class SubscribeLike(BaseMessage):
    action: Literal["subscribe"] = "subscribe"
    payload: None = None
