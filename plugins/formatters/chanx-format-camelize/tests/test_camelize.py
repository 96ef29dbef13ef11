"""camelize: the key rule, stable round trips, aliases, collisions, and what it never touches."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from chanx_format_camelize import CamelizeFormatter, camel
from pydantic import BaseModel, ConfigDict, Field
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.core.plan import ConsumerDefinitionError
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.base import BaseMessage
from chanx.testing import WebsocketCommunicator


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("user_id", "userId"),
        ("user_id2", "userId2"),
        ("http_status", "httpStatus"),
        ("user_2fa", "user2fa"),
        ("html_url_path", "htmlUrlPath"),
        ("already", "already"),
        ("camelCase", "camelCase"),
        ("from_", "from"),
    ],
)
def test_the_key_rule(name: str, wire: str) -> None:
    assert camel(name) == wire


class Tag(BaseModel):
    tag_name: str


class Profile(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    user_id2: int
    http_status: int = 200
    api_key: str = Field(default="k", alias="API_KEY")
    tags: list[Tag] = []
    best_tag: Tag | None = None
    tags_by_id: dict[str, Tag] = {}
    raw_json: dict[str, Any] = {}


class Update(BaseMessage):
    action: Literal["update_profile"] = "update_profile"
    profile: Profile


class Echo:
    send_completion = True
    camelize = True
    channel_layer_alias = None

    @ws_handler
    async def handle_update_profile(self, message: Update) -> Update:
        return message


class EchoConsumer(Echo, AsyncJsonWebsocketConsumer):
    pass


WIRE = {
    "payload": None,
    "action": "update_profile",
    "profile": {
        "userId2": 1,
        "httpStatus": 404,
        "API_KEY": "secret",
        "tags": [{"tagName": "a"}],
        "bestTag": {"tagName": "b"},
        "tagsById": {"some_id": {"tagName": "c"}},
        "rawJson": {"snake_key": {"inner_key": 1}, "camelKey": 2},
    },
}


async def test_nested_models_lists_optionals_and_dict_values_round_trip() -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", EchoConsumer.as_asgi())])
    async with WebsocketCommunicator(app, "/ws") as client:
        await client.send_message(WIRE)
        assert await client.receive_all_messages() == [WIRE]


async def test_validation_errors_name_the_wire_keys() -> None:
    app = Starlette(routes=[WebSocketRoute("/ws", EchoConsumer.as_asgi())])
    async with WebsocketCommunicator(app, "/ws") as client:
        await client.send_message({"action": "update_profile", "profile": {"httpStatus": "x"}})
        (error,) = await client.receive_all_messages()
        locs = [e["loc"] for e in error["payload"]["errors"]]
        assert ["profile", "userId2"] in locs
        assert ["profile", "httpStatus"] in locs


def test_the_validated_message_has_snake_case_fields_and_free_form_keys_as_sent() -> None:
    plan = EchoConsumer.__chanx_plan__
    message = plan.decoder.decode_text(__import__("json").dumps(WIRE))
    assert isinstance(message, Update)
    assert message.profile.user_id2 == 1
    assert message.profile.api_key == "secret"
    assert message.profile.tags_by_id["some_id"].tag_name == "c"
    assert message.profile.raw_json == {"snake_key": {"inner_key": 1}, "camelKey": 2}


def test_every_field_round_trips_snake_camel_snake() -> None:
    import json

    codec = EchoConsumer.__chanx_plan__.codec
    decoder = EchoConsumer.__chanx_plan__.decoder
    message = Update(
        profile=Profile(
            user_id2=5, tags=[Tag(tag_name="x")], best_tag=Tag(tag_name="y"), raw_json={"a_b": 1}
        )
    )
    frame = codec.encode(message)
    assert decoder.decode_text(frame) == message
    assert codec.encode(decoder.decode_text(frame)) == frame
    wire = json.loads(frame)["profile"]
    assert set(wire) == {
        "userId2", "httpStatus", "API_KEY", "tags", "bestTag", "tagsById", "rawJson"
    }  # fmt: skip


def test_snake_case_keys_are_still_accepted() -> None:
    decoder = EchoConsumer.__chanx_plan__.decoder
    message = decoder.decode_text('{"action":"update_profile","profile":{"user_id2":3}}')
    assert message.profile.user_id2 == 3  # type: ignore[attr-defined]


def test_two_fields_that_collide_after_camelizing_fail_at_class_creation() -> None:
    class Clash(BaseMessage):
        action: Literal["clash"] = "clash"
        user_id: int
        userId: int

    with pytest.raises(ConsumerDefinitionError, match="userId"):

        class ClashConsumer(AsyncJsonWebsocketConsumer):
            camelize = True

            @ws_handler
            async def handle_clash(self, message: Clash) -> None:
                return None


def test_camelize_true_and_formatters_tuple_are_the_same() -> None:
    class ByTuple(AsyncJsonWebsocketConsumer):
        formatters = ("camelize",)

    class ByFlag(AsyncJsonWebsocketConsumer):
        camelize = True

    assert ByTuple.__chanx_plan__.codec.wire_id == ByFlag.__chanx_plan__.codec.wire_id
    assert ByFlag.__chanx_plan__.codec.wire_id == "json+camelize"


def test_completion_and_error_frames_are_prebuilt_in_wire_keys() -> None:
    import json

    plan = EchoConsumer.__chanx_plan__
    assert json.loads(plan.complete_frame) == {"action": "complete", "payload": None}
    assert json.loads(plan.internal_error_frame)["payload"]["code"] == "internal_error"


def test_dict_level_transforms_follow_the_prepared_types() -> None:
    formatter = CamelizeFormatter()
    formatter.prepare([Update], [Update])
    dumped = {"action": "update_profile", "profile": {"user_id2": 1, "raw_json": {"a_b": 1}}}
    wire = formatter.outgoing(dumped)
    assert wire == {"action": "update_profile", "profile": {"userId2": 1, "rawJson": {"a_b": 1}}}
    assert formatter.incoming(wire) == dumped
    assert formatter.outgoing({"action": "unknown", "a_b": 1}) == {"action": "unknown", "a_b": 1}
    assert formatter.wire_key("user_id2") == "userId2"
