"""Resume, history bounds, presence and dedicated topic routes, on both adapters."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from chanx.core.decorators import event_handler, ws_handler
from chanx.core.topic import Topic
from chanx.layers.memory_topics import MemoryTopicStore
from chanx.layers.topics import topic_store_for
from chanx.messages.base import BaseMessage
from tests.core.test_topics import Said, chat, frame, subscribe, topic_for


class Tick(BaseMessage):
    action: Literal["tick"] = "tick"
    payload: int


class Tock(BaseMessage):
    action: Literal["tock"] = "tock"
    payload: dict[str, Any]


class Name(BaseMessage):
    action: Literal["name"] = "name"
    payload: None = None


class ShortTopic(Topic[Said]):
    pattern = "short/{n}"
    history_size = 3


class TickTopic(Topic[Tick]):
    """Reshapes its events for each subscriber before they are pushed."""

    pattern = "ticks/{kind}"
    history_size = 10

    @event_handler
    async def on_tick(self, event: Tick) -> Tock:
        return Tock(payload={"n": event.payload, "kind": self.params["kind"]})


class MembersTopic(Topic[Said]):
    pattern = "members/{room}"
    track_presence = True
    presence_events = True

    async def presence_info(self) -> dict[str, Any] | None:
        return {"path": self.scope["path"]}


class FeedTopic(Topic[Said]):
    pattern = "feed/{feed_id}"
    history_size = 10

    @ws_handler
    async def handle_name(self, message: Name) -> Said:
        return Said(payload=self.topic)


async def test_a_reconnect_resumes_exactly_what_was_missed_then_live(adapter: Any) -> None:
    app, room, _ = chat(adapter)
    client = adapter.client(app, "/chat")
    await client.connect()
    first = await subscribe(client, "room/r")
    await room.broadcast("room/r", Said(payload="0"))
    seen = await client.receive_json()
    await client.disconnect()
    for n in range(1, 6):
        await room.broadcast("room/r", Said(payload=str(n)))
    async with adapter.client(app, "/chat") as again:
        since = {"offset": seen["offset"], "epoch": first["epoch"]}
        reply = await subscribe(again, "room/r", since=since)
        assert (reply["action"], reply["recovered"], reply["offset"]) == ("subscribed", True, 6)
        await room.broadcast("room/r", Said(payload="live"))
        pushes = [await again.receive_json() for _ in range(6)]
        assert [p["payload"] for p in pushes] == ["1", "2", "3", "4", "5", "live"]
        assert [p["offset"] for p in pushes] == [2, 3, 4, 5, 6, 7]
        assert await again.receive_nothing()


async def test_live_pushes_during_a_resume_follow_the_history_without_duplicates(
    adapter: Any,
) -> None:
    app, room, _ = chat(adapter)
    await room.broadcast("room/seam", Said(payload="1"))
    store = topic_store_for(room.get_channel_layer())
    epoch = (await store.position("room/seam")).epoch
    async with adapter.client(app, "/chat") as client:
        await client.send_message(
            frame("subscribe", "room/seam", "s", since={"offset": 0, "epoch": epoch})
        )
        await room.broadcast("room/seam", Said(payload="2"))  # races the history read
        await room.broadcast("room/seam", Said(payload="3"))
        frames = [await client.receive_json() for _ in range(4)]
        assert frames[0]["action"] == "subscribed"
        assert frames[0]["recovered"] is True
        assert [f["offset"] for f in frames[1:]] == [1, 2, 3]
        assert await client.receive_nothing()


async def test_resume_is_not_recovered_when_the_history_no_longer_covers_it(adapter: Any) -> None:
    short = topic_for(adapter, ShortTopic)
    app, _, _ = chat(adapter, topics=[short])
    async with adapter.client(app, "/chat") as client:
        first = await subscribe(client, "short/1")
        for n in range(5):
            await short.broadcast("short/1", Said(payload=str(n)))
        assert [(await client.receive_json())["offset"] for _ in range(5)] == [1, 2, 3, 4, 5]
        await client.send_message(frame("unsubscribe", "short/1"))
        await client.receive_until("unsubscribed")
        gone = await subscribe(client, "short/1", since={"offset": 1, "epoch": first["epoch"]})
        assert (gone["recovered"], gone["offset"]) == (False, 5)
        await client.send_message(frame("unsubscribe", "short/1"))
        await client.receive_until("unsubscribed")
        kept = await subscribe(client, "short/1", since={"offset": 2, "epoch": first["epoch"]})
        assert kept["recovered"] is True
        assert [(await client.receive_json())["payload"] for _ in range(3)] == ["2", "3", "4"]
        other_epoch = await subscribe(client, "short/3", since={"offset": 0, "epoch": "old"})
        assert other_epoch["recovered"] is False
        await short.broadcast("short/1", Said(payload="live"))
        assert (await client.receive_json())["offset"] == 6


async def test_resume_reads_at_most_the_history_read_limit(adapter: Any) -> None:
    app, room, _ = chat(adapter, history_read_limit=2)
    async with adapter.client(app, "/chat") as client:
        first = await subscribe(client, "room/limit")
        for n in range(3):
            await room.broadcast("room/limit", Said(payload=str(n)))
        await client.receive_until("said")
        await client.receive_until("said")
        await client.receive_until("said")
        await client.send_message(frame("unsubscribe", "room/limit"))
        await client.receive_until("unsubscribed")
        over = await subscribe(client, "room/limit", since={"offset": 0, "epoch": first["epoch"]})
        assert over["recovered"] is False
        await client.send_message(frame("unsubscribe", "room/limit"))
        await client.receive_until("unsubscribed")
        within = await subscribe(client, "room/limit", since={"offset": 1, "epoch": first["epoch"]})
        assert within["recovered"] is True
        assert [(await client.receive_json())["offset"] for _ in range(2)] == [2, 3]


async def test_history_expires_by_age() -> None:
    now = [0.0]
    store = MemoryTopicStore(clock=lambda: now[0])
    first = await store.append("t", {"event": {}}, size=10, ttl=5)
    now[0] = 3
    await store.append("t", {"event": {}}, size=10, ttl=5)
    now[0] = 6
    assert (await store.read("t", 1, first.epoch, limit=10, ttl=5)).entries == [(2, {"event": {}})]
    assert (await store.read("t", 0, first.epoch, limit=10, ttl=5)).entries is None


async def test_a_topic_event_handler_reshapes_pushes(adapter: Any) -> None:
    ticks = topic_for(adapter, TickTopic)
    app, _, _ = chat(adapter, topics=[ticks])
    async with adapter.client(app, "/chat") as client:
        await subscribe(client, "ticks/fast")
        await ticks.broadcast("ticks/fast", Tick(payload=3), seq=9)
        push = await client.receive_json()
        assert push["payload"] == {"n": 3, "kind": "fast"}
        assert (push["action"], push["offset"], push["seq"]) == ("tock", 1, 9)


async def test_presence_lists_members_and_pushes_joins_and_leaves(adapter: Any) -> None:
    members = topic_for(adapter, MembersTopic)
    app = adapter.app(
        ("/a", adapter.consumer(_Body, topics=[members])),
        ("/b", adapter.consumer(_Body, topics=[members])),
    )
    async with adapter.client(app, "/a") as alice:
        await subscribe(alice, "members/1")
        alice_joined = await alice.receive_json()
        assert alice_joined["action"] == "presence_join"
        alice_id = alice_joined["payload"]["id"]
        bob = adapter.client(app, "/b")
        await bob.connect()
        await subscribe(bob, "members/1")
        joined = await alice.receive_json()
        assert joined["action"] == "presence_join"
        assert joined["topic"] == "members/1"
        assert joined["payload"]["info"] == {"path": "/b"}
        present = await members.presence("members/1")
        assert [m.id for m in present] == [alice_id, joined["payload"]["id"]]
        assert [m.info for m in present] == [{"path": "/a"}, {"path": "/b"}]
        await bob.disconnect()
        left = await alice.receive_json()
        assert (left["action"], left["payload"]["id"]) == (
            "presence_leave",
            joined["payload"]["id"],
        )
        assert left["payload"]["info"] == {"path": "/b"}
        assert [m.id for m in await members.presence("members/1")] == [alice_id]


class _Body:
    pass


class SlowInfoTopic(Topic[Said]):
    pattern = "slow/{room}"
    track_presence = True
    presence_events = True

    async def presence_info(self) -> dict[str, Any] | None:
        await asyncio.sleep(0.2)  # a slow lookup: `subscribed` must still follow the record
        return {"path": self.scope["path"]}


async def test_a_member_is_listed_in_presence_by_the_time_it_is_told_subscribed(
    adapter: Any,
) -> None:
    slow = topic_for(adapter, SlowInfoTopic)
    app = adapter.app(("/a", adapter.consumer(_Body, topics=[slow])))
    async with adapter.client(app, "/a") as alice:
        reply = await subscribe(alice, "slow/1")
        assert reply["action"] == "subscribed"
        present = await slow.presence("slow/1")
        assert [m.info for m in present] == [{"path": "/a"}]
        joined = await alice.receive_json()  # her own join push comes after `subscribed`
        assert (joined["action"], joined["payload"]["id"]) == ("presence_join", present[0].id)


async def test_as_consumer_subscribes_from_the_url_and_takes_bare_frames(adapter: Any) -> None:
    feed = topic_for(adapter, FeedTopic)
    consumer = feed.as_consumer(base=adapter.base)
    assert consumer.default_topic is feed
    app = adapter.app(("/feeds/{feed_id}", consumer))
    async with adapter.client(app, "/feeds/42") as client:
        joined = await client.receive_json()
        assert (joined["action"], joined["topic"]) == ("subscribed", "feed/42")
        await client.send_message({"action": "name"})
        reply = await client.receive_json()
        assert (reply["payload"], reply["topic"]) == ("feed/42", "feed/42")
        await feed.broadcast("feed/42", Said(payload="news"))
        assert (await client.receive_json())["payload"] == "news"


async def test_out_of_order_arrivals_are_put_back_in_order_from_the_history(adapter: Any) -> None:
    app, room, _ = chat(adapter)
    layer = room.get_channel_layer()
    store = topic_store_for(layer)
    async with adapter.client(app, "/chat") as client:
        await subscribe(client, "room/gap")
        from chanx.core.topic import push_message

        records = [{"event": Said(payload=str(n)).model_dump(), "seq": None} for n in (1, 2, 3)]
        positions = [await store.append("room/gap", r, size=100, ttl=None) for r in records]
        group = room.group_name("room/gap")
        for index in (1, 2, 0):  # 2 and 3 arrive before 1
            p = positions[index]
            await layer.group_send(
                group, push_message("room/gap", records[index], p.offset, p.epoch)
            )
        got = [await client.receive_json() for _ in range(3)]
        assert [g["offset"] for g in got] == [1, 2, 3]
        assert [g["payload"] for g in got] == ["1", "2", "3"]
        assert await client.receive_nothing()
        await asyncio.sleep(0)


async def test_a_store_failure_during_subscribe_is_an_error_frame_and_is_undone(
    adapter: Any, monkeypatch: Any, caplog: Any
) -> None:
    app, room, _ = chat(adapter)
    store = topic_store_for(room.get_channel_layer())

    async def broken(topic: str) -> Any:
        raise RuntimeError("store down")

    async with adapter.client(app, "/chat") as client:
        with monkeypatch.context() as patch:
            patch.setattr(store, "position", broken)
            failed = await client.subscribe("room/down", ref="d")
        assert failed["payload"]["code"] == "internal_error"
        assert "store down" in caplog.text
        await room.broadcast("room/down", Said(payload="not for you"))
        again = await client.subscribe("room/down")
        assert (again["action"], again["offset"]) == ("subscribed", 1)
        assert client.skipped == []  # no push arrived: the failed subscribe left the group


def test_as_consumer_needs_base_when_both_adapters_are_imported(adapter: Any) -> None:
    import pytest

    import chanx.channels.websocket
    import chanx.fast_channels.websocket  # noqa: F401

    with pytest.raises(TypeError, match="pass base="):
        FeedTopic.as_consumer()
    made = FeedTopic.as_consumer(base=adapter.base, send_completion=True)
    assert made.send_completion is True
    assert made.topics == [FeedTopic]


async def test_idle_topics_are_forgotten_and_start_a_new_epoch() -> None:
    now = [0.0]
    store = MemoryTopicStore(idle_expiry=10, clock=lambda: now[0])
    first = await store.append("t", {"event": {}}, size=5, ttl=None)
    for n in range(2000):  # other topics: the periodic sweep runs meanwhile
        await store.position(f"other/{n}")
    now[0] = 11
    second = await store.append("t", {"event": {}}, size=5, ttl=None)
    assert (second.offset, second.epoch != first.epoch) == (1, True)
    assert (await store.read("t", 1, first.epoch, limit=10, ttl=None)).entries is None
    now[0] = 30
    await store.position("t")
    for _ in range(1100):
        await store.position("x")
    assert len(store._topics) <= 2  # the idle "other/..." topics were swept
