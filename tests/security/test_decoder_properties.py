"""Property tests on the decode-and-validate path (`MessageDecoder`).

Whatever a client sends, decoding either returns a valid message or raises `FrameError`
(never anything else), and the error frame never contains the input.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chanx.core.codec import FrameError
from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage

MARKER = "QZXJ-7731"


class Note(BaseMessage):
    action: Literal["note"] = "note"
    payload: Any = None


class Count(BaseMessage):
    action: Literal["count"] = "count"
    payload: int


class Tagged(BaseMessage):
    action: Literal["tagged"] = "tagged"
    payload: dict[str, int]


class Target(AsyncJsonWebsocketConsumer):
    @ws_handler
    async def handle_note(self, message: Note) -> None: ...

    @ws_handler
    async def handle_count(self, message: Count) -> None: ...

    @ws_handler
    async def handle_tagged(self, message: Tagged) -> None: ...


PLAN = Target.__chanx_plan__
DECODER = PLAN.decoder

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rendered(error: FrameError) -> str:
    return json.dumps(error.to_message().model_dump(mode="json"))


def decode(frame: str | bytes, binary: bool = False) -> BaseMessage | FrameError:
    try:
        return DECODER.decode_binary(frame) if binary else DECODER.decode_text(frame)
    except FrameError as error:
        caught = error
    assert MARKER not in rendered(caught)
    return caught


@SETTINGS
@given(st.text(), st.text())
def test_any_text_decodes_or_raises_frame_error_without_echo(before: str, after: str) -> None:
    decode(before + MARKER + after)


@SETTINGS
@given(st.binary())
def test_any_binary_frame_is_one_frame_error(data: bytes) -> None:
    assert isinstance(decode(data + MARKER.encode(), binary=True), FrameError)


@SETTINGS
@given(json_values)
def test_any_json_value_decodes_or_raises_frame_error(value: Any) -> None:
    decode(json.dumps(value))


@SETTINGS
@given(
    st.sampled_from(["note", "count", "tagged", MARKER, ""]),
    json_values,
    st.dictionaries(st.text(max_size=8).map(lambda k: MARKER + k), json_values, max_size=3),
)
def test_messages_with_hostile_fields_never_echo(action: str, payload: Any, extra: Any) -> None:
    frame = {"action": action, "payload": payload, **extra}
    result = decode(json.dumps(frame))
    if isinstance(result, FrameError):
        assert result.code in {
            "invalid_json",
            "invalid_frame",
            "missing_action",
            "unknown_action",
            "invalid_message",
        }


@SETTINGS
@given(
    st.dictionaries(
        st.text(max_size=12).map(lambda k: MARKER + k), st.text().map(lambda v: "x" + v), max_size=3
    )
)
def test_validation_details_do_not_echo_dict_keys_or_values(bad: dict[str, str]) -> None:
    result = decode(json.dumps({"action": "tagged", "payload": bad}))
    assert isinstance(result, FrameError) or not bad


@SETTINGS
@given(
    st.one_of(
        st.builds(Note, payload=json_values),
        st.builds(Count, payload=st.integers()),
        st.builds(Tagged, payload=st.dictionaries(st.text(), st.integers(), max_size=4)),
    )
)
def test_valid_messages_round_trip(message: BaseMessage) -> None:
    frame = PLAN.codec.encode(message)
    assert decode(frame) == message
