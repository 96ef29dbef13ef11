"""Code written for upstream chanx runs: payloads, `extra_groups`, `emits`, captures, scopes.

Every test taking `adapter` runs on Starlette and on Django Channels (see `conftest.py`).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pytest

from chanx.core.decorators import event_handler, ws_handler
from chanx.core.plan import ConsumerDefinitionError
from chanx.messages.base import BaseMessage
from chanx.testing.capture import CapturedBroadcastEvent, capture_broadcast_events
from chanx.utils.scope import path_param, query_param, scope_user


class Note(BaseMessage):
    """Declares only its action, as upstream messages may: the payload is still kept."""

    action: Literal["note"] = "note"


class Noted(BaseMessage):
    action: Literal["noted"] = "noted"
    payload: Any = None


class Welcome(BaseMessage):
    action: Literal["welcome"] = "welcome"
    payload: str


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"
    payload: str = ""


class PresenceMixin:
    extra_groups: ClassVar[list[str]] = ["presence"]


class AuditMixin:
    extra_groups: ClassVar[list[str]] = ["audit", "presence"]


class NoteBody(AuditMixin, PresenceMixin):
    send_completion = True
    groups: ClassVar[list[str]] = ["lobby"]
    emits: ClassVar[list[type[BaseMessage]]] = [Welcome]
    seen: ClassVar[list[Any]] = []

    async def post_authentication(self) -> None:
        type(self).seen.append(self)

    @ws_handler
    async def handle_note(self, message: Note) -> Noted:
        return Noted(payload=message.payload)

    @ws_handler
    async def handle_ping(self, message: Ping) -> Noted:
        scope = self.scope
        return Noted(
            payload={
                "room": path_param(scope, "room", None),
                "tag": query_param(scope, "tag"),
                "user": scope_user(scope),
            }
        )

    @event_handler
    async def handle_welcome(self, event: Welcome) -> Welcome:
        return event


@pytest.fixture
def notes(adapter: Any) -> Any:
    NoteBody.seen.clear()
    return adapter.consumer(NoteBody)


@pytest.fixture
def app(adapter: Any, notes: Any) -> Any:
    return adapter.app(("/notes", notes), ("/notes/{room}", notes))


async def test_a_payload_sent_to_an_action_only_message_reaches_the_handler(
    adapter: Any, app: Any
) -> None:
    async with adapter.client(app, "/notes") as client:
        await client.send_message({"action": "note", "payload": {"text": "hi"}})
        assert await client.receive_all_messages() == [
            {"action": "noted", "payload": {"text": "hi"}}
        ]


async def test_scope_helpers_read_path_query_and_user_on_both_adapters(
    adapter: Any, app: Any
) -> None:
    async with adapter.client(app, "/notes/blue?tag=x&tag=y") as client:
        await client.send_message({"action": "ping"})
        assert await client.receive_all_messages() == [
            {"action": "noted", "payload": {"room": "blue", "tag": "x", "user": None}}
        ]


async def test_extra_groups_are_merged_across_the_mro_and_joined_after_groups(
    adapter: Any, app: Any, notes: Any
) -> None:
    async with adapter.client(app, "/notes") as client:
        (connection,) = NoteBody.seen
        assert connection.groups == ["lobby", "audit", "presence"]
        await notes.broadcast_event(Welcome(payload="to-presence"), groups="presence")
        assert await client.receive_all_messages("event_complete") == [
            {"action": "welcome", "payload": "to-presence"}
        ]
    assert notes.__chanx_plan__.extra_groups == ("audit", "presence")


async def test_capture_keeps_the_groups_the_caller_passed_and_can_suppress(
    adapter: Any, app: Any, notes: Any
) -> None:
    async with adapter.client(app, "/notes") as client:
        with capture_broadcast_events(notes, suppress=True) as captured:
            await notes.broadcast_event(Welcome(payload="a"), ["audit"])
            await notes.broadcast_event(Welcome(payload="b"), groups="lobby")
            await notes.broadcast_event(Welcome(payload="c"))
            await notes.send_event(Welcome(payload="d"), channel_name="nowhere")
        assert [(c.groups, c.targets, c.channel_name) for c in captured] == [
            (["audit"], ("audit",), None),
            ("lobby", ("lobby",), None),
            (None, ("lobby", "audit", "presence"), None),
            (None, (), "nowhere"),
        ]
        assert captured[0].event == Welcome(payload="a")
        assert CapturedBroadcastEvent is type(captured[0])
        await client.send_message({"action": "note"})
        assert await client.receive_all_messages() == [{"action": "noted", "payload": None}]
        with capture_broadcast_events(notes) as delivered:
            await notes.broadcast_event(Welcome(payload="e"), groups=("audit",))
        assert await client.receive_all_messages("event_complete") == [
            {"action": "welcome", "payload": "e"}
        ]
        assert [c.groups for c in delivered] == [("audit",)]
    assert "broadcast_event" not in vars(notes)  # the capture restored the class


def test_emits_are_merged_across_the_mro_and_must_be_messages(adapter: Any) -> None:
    class Extra:
        emits: ClassVar[list[type[BaseMessage]]] = [Noted, Welcome]

    cls = adapter.consumer(NoteBody, Extra)
    assert cls.__chanx_plan__.emits == (Welcome, Noted)
    with pytest.raises(ConsumerDefinitionError, match=r"emits: .*not a concrete BaseMessage"):
        adapter.consumer(NoteBody, emits=[dict])
    with pytest.raises(ConsumerDefinitionError, match=r"extra_groups must be a list"):
        adapter.consumer(NoteBody, extra_groups="presence")
