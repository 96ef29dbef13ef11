from __future__ import annotations

import abc
from typing import Literal

import pytest

from chanx.messages.base import BaseChannelEvent, BaseMessage, discriminator_values
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import (
    AuthenticationMessage,
    CompleteMessage,
    ErrorMessage,
    EventCompleteMessage,
    GroupCompleteMessage,
    PongMessage,
)


def test_subclass_without_literal_discriminator_is_rejected_at_definition() -> None:
    with pytest.raises(TypeError, match=r"needs a Literal discriminator.*abstract=True"):

        class Broken(BaseMessage):
            payload: int = 0


def test_subclass_with_non_literal_action_is_rejected() -> None:
    with pytest.raises(TypeError, match="needs a Literal discriminator"):

        class Broken(BaseMessage):
            action: str = "x"


def test_abstract_base_may_omit_the_discriminator_and_concrete_children_inherit_fields() -> None:
    class RoomMessage(BaseMessage, abstract=True):
        room: int = 0

    class Join(RoomMessage):
        action: Literal["join"] = "join"

    assert Join(room=3).model_dump() == {"payload": None, "room": 3, "action": "join"}
    assert RoomMessage.__chanx_abstract__
    assert not Join.__chanx_abstract__


def test_abc_marks_an_abstract_base_as_upstream_chanx_does() -> None:
    class RoomMessage(BaseMessage, abc.ABC):
        room: int = 0

    class Join(RoomMessage):
        action: Literal["join"] = "join"

    assert RoomMessage.__chanx_abstract__
    assert not Join.__chanx_abstract__
    assert Join(room=2).room == 2
    with pytest.raises(TypeError, match="needs a Literal discriminator"):

        class Leave(RoomMessage):
            room: int = 1


def test_a_message_declaring_only_its_action_keeps_the_payload_sent() -> None:
    class Say(BaseMessage):
        action: Literal["say"] = "say"

    assert Say.model_validate({"action": "say", "payload": {"text": "hi"}}).payload == {
        "text": "hi"
    }
    assert Say().payload is None
    assert Say(payload=[1, 2]).model_dump() == {"payload": [1, 2], "action": "say"}


def test_channel_event_routes_on_handler_field() -> None:
    class Done(BaseChannelEvent):
        handler: Literal["done"] = "done"

    assert Done.discriminator_field == "handler"
    with pytest.raises(TypeError, match="`handler: Literal"):

        class Missing(BaseChannelEvent):
            action: Literal["x"] = "x"


def test_discriminator_values_reads_literals_only() -> None:
    assert discriminator_values(Literal["a", "b"]) == ("a", "b")
    assert discriminator_values(Literal[1]) == ()
    assert discriminator_values(str) == ()


def test_builtin_messages_have_their_actions() -> None:
    assert PingMessage().model_dump() == {"action": "ping", "payload": None}
    assert PongMessage().model_dump() == {"action": "pong", "payload": None}
    assert CompleteMessage().action == "complete"
    assert EventCompleteMessage().action == "event_complete"
    assert GroupCompleteMessage().action == "group_complete"
    assert ErrorMessage.model_fields["action"].default == "error"
    assert AuthenticationMessage.model_fields["action"].default == "authentication"


def test_a_message_whose_annotations_cannot_be_resolved_yet_is_not_misreported() -> None:
    source = (
        "from typing import Literal\n"
        "class Later(BaseMessage):\n"
        "    action: Literal['later'] = 'later'\n"
    )
    namespace = {"BaseMessage": BaseMessage, "__name__": "not_a_registered_module"}
    exec(compile(source, "<deferred>", "exec"), namespace)  # inherits postponed annotations
    assert not namespace["Later"].__pydantic_complete__
