"""The neutral model follows the guide's mapping table, row by row."""

from __future__ import annotations

import json
from dataclasses import asdict
from types import SimpleNamespace

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, WebSocketRoute

from chanx.asyncapi import ApiModel, ChannelDoc, OperationDoc, build_api_model, routed_consumers


def operations(channel: ChannelDoc) -> dict[str, OperationDoc]:
    return {op.name: op for op in channel.operations}


def chat_channel(model: ApiModel) -> ChannelDoc:
    return next(c for c in model.channels if c.key == "chat")


def test_ws_handler_with_a_return_type_is_a_receive_with_a_reply(starlette_app: Starlette) -> None:
    ping = operations(chat_channel(build_api_model(starlette_app)))["ping"]
    assert (ping.action, ping.messages, ping.replies) == (
        "receive",
        ("PingMessage",),
        ("PongMessage",),
    )
    assert ping.summary == "Handle ping requests"


def test_ws_handler_with_output_type_is_a_receive_with_a_reply(starlette_app: Starlette) -> None:
    chat = operations(chat_channel(build_api_model(starlette_app)))["chat"]
    assert (chat.action, chat.messages, chat.replies) == ("receive", ("Chat",), ("ChatNotice",))
    assert chat.summary == "Handle chat messages"
    assert chat.description == "Process chat messages and broadcast to room members"
    assert chat.tags == ("chat", "messaging")


def test_ws_handler_returning_none_without_output_type_has_no_reply(
    starlette_app: Starlette,
) -> None:
    log = operations(chat_channel(build_api_model(starlette_app)))["log"]
    assert (log.action, log.messages, log.replies) == ("receive", ("Log",), ())
    assert log.description == "Record a client log line."  # the docstring


def test_ws_handler_action_names_the_operation_and_a_union_input_gives_several_messages(
    starlette_app: Starlette,
) -> None:
    change = operations(chat_channel(build_api_model(starlette_app)))["change"]
    assert change.method == "handle_edit_or_delete"
    assert (change.messages, change.replies) == (("Edit", "Delete"), ("Done",))  # union order


def test_event_handler_is_a_send_of_its_output_only(starlette_app: Starlette) -> None:
    model = build_api_model(starlette_app)
    ops = operations(chat_channel(model))
    job = ops["job_result"]
    assert (job.action, job.messages, job.replies) == ("send", ("JobResult",), ())
    notify = ops["system_notification"]  # named after what it sends, as in the guide
    assert (notify.action, notify.messages, notify.replies) == (
        "send",
        ("SystemNotification",),
        (),
    )
    assert notify.method == "handle_system_notify"


def test_event_inputs_are_never_documented(starlette_app: Starlette) -> None:
    model = build_api_model(starlette_app)
    text = json.dumps(asdict(model))
    assert "SystemNotifyEvent" not in text
    assert "INTERNAL EVENT" not in text
    assert "QuietEvent" not in text
    assert "quiet" not in operations(chat_channel(model))  # sends nothing: nothing to show


def test_a_passthrough_event_is_a_send(starlette_app: Starlette) -> None:
    joined = operations(chat_channel(build_api_model(starlette_app)))["user_joined"]
    assert (joined.action, joined.messages, joined.replies) == ("send", ("UserJoined",), ())
    assert joined.passthrough
    assert joined.method == "handle_passthrough_user_joined"


def test_receive_operations_come_first_then_send(starlette_app: Starlette) -> None:
    ops = chat_channel(build_api_model(starlette_app)).operations
    assert [(op.action, op.name) for op in ops] == [
        ("receive", "change"),
        ("receive", "chat"),
        ("receive", "log"),
        ("receive", "ping"),
        ("send", "error"),
        ("send", "job_result"),
        ("send", "system_notification"),
        ("send", "user_joined"),
    ]


def test_channel_metadata_and_the_docstring_fallback(starlette_app: Starlette) -> None:
    model = build_api_model(starlette_app)
    by_key = {c.key: c for c in model.channels}
    chat = by_key["chat"]
    assert (chat.title, chat.description, chat.tags) == ("chat", "Chat rooms", ("chat", "rooms"))
    doc = by_key["DocstringConsumer"]
    assert doc.description == "Documented by its docstring: </script><b>bold?</b>"
    assert doc.tags == ()
    bare = by_key["BareConsumer"]
    assert bare.description is None
    assert "None" not in json.dumps([c.description for c in model.channels])


def test_only_routed_consumers_appear_with_their_addresses(starlette_app: Starlette) -> None:
    model = build_api_model(starlette_app)
    assert [(c.key, c.address) for c in model.channels] == [
        ("BareConsumer", "/api/v1/bare"),
        ("DocstringConsumer", "/api/doc/{item_id}"),
        ("chat", "/ws/chat/{room}"),
    ]
    assert "Unrouted" not in json.dumps(asdict(model))


def test_path_parameters_are_listed_with_their_converter(starlette_app: Starlette) -> None:
    by_key = {c.key: c for c in build_api_model(starlette_app).channels}
    [item_id] = by_key["DocstringConsumer"].parameters
    assert item_id.name == "item_id"
    assert "integer" in item_id.description
    assert [p.name for p in by_key["chat"].parameters] == ["room"]
    assert by_key["BareConsumer"].parameters == ()


def test_fastapi_routers_and_middleware_wrapped_routes_are_found(
    fastapi_app: FastAPI, consumers: SimpleNamespace
) -> None:
    found = routed_consumers(fastapi_app)
    assert [(r.address, r.consumer_class.__name__) for r in found] == [
        ("/v2/camel", "CamelConsumer"),
        ("/v2/pets", "PetConsumer"),
        ("/ws/chat/{room}", "ChatConsumer"),
    ]

    class Passthrough:
        def __init__(self, app: object) -> None:
            self.app = app

    wrapped = Starlette(
        routes=[
            WebSocketRoute(
                "/w", consumers.BareConsumer.as_asgi(), middleware=[Middleware(Passthrough)]
            ),
            Mount("", app=fastapi_app),
        ]
    )
    assert [r.address for r in routed_consumers(wrapped)] == [
        "/v2/camel",
        "/v2/pets",
        "/w",
        "/ws/chat/{room}",
    ]


def test_host_routes_are_walked(consumers: SimpleNamespace) -> None:
    from starlette.routing import Host

    inner = Starlette(routes=[WebSocketRoute("/ws", consumers.BareConsumer.as_asgi())])
    app = Starlette(routes=[Host("api.example.test", app=inner)])
    assert [r.address for r in routed_consumers(app)] == ["/ws"]


def test_a_consumer_routed_twice_gets_two_channels(consumers: SimpleNamespace) -> None:
    app = Starlette(
        routes=[
            WebSocketRoute("/a", consumers.ChatConsumer.as_asgi()),
            WebSocketRoute("/b", consumers.ChatConsumer.as_asgi()),
        ]
    )
    model = build_api_model(app)
    assert [(c.key, c.address) for c in model.channels] == [("chat", "/a"), ("chat_2", "/b")]
    assert [c.title for c in model.channels] == ["chat", "chat (/b)"]  # told apart on the page


def test_camelized_consumers_document_wire_names(fastapi_app: FastAPI) -> None:
    model = build_api_model(fastapi_app)
    by_key = {c.key: c for c in model.channels}
    [camel_chat] = operations(by_key["camel"])["chat"].messages
    [plain_chat] = operations(by_key["chat"])["chat"].messages
    assert camel_chat != plain_chat
    camel_body = model.schemas[model.messages[camel_chat].schema]["properties"]["payload"]
    plain_body = model.schemas[model.messages[plain_chat].schema]["properties"]["payload"]
    camel_props = model.schemas[camel_body["$ref"].rsplit("/", 1)[1]]["properties"]
    plain_props = model.schemas[plain_body["$ref"].rsplit("/", 1)[1]]["properties"]
    assert list(camel_props) == ["userName", "messageText"]
    assert list(plain_props) == ["user_name", "message_text"]
    assert model.messages[camel_chat].example == {
        "action": "chat",
        "payload": {"userName": "string", "messageText": "string"},
    }


def test_a_formatter_exposing_wire_key_is_used_as_is() -> None:
    from chanx.asyncapi.schemas import key_rename

    class Upper:
        name = "upper"

        def wire_key(self, key: str) -> str:
            return key.upper()

        def outgoing(self, data: dict[str, object]) -> dict[str, object]:
            raise AssertionError("not probed when wire_key exists")

    rename = key_rename([Upper()])
    assert rename is not None
    assert rename("user_name") == "USER_NAME"
    assert key_rename([]) is None


def test_messages_have_examples_that_validate(starlette_app: Starlette) -> None:
    model = build_api_model(starlette_app)
    chat = model.messages["Chat"]
    assert chat.name == "chat"
    assert chat.summary == "A client posts to the room."
    assert chat.example == {
        "action": "chat",
        "payload": {"user_name": "string", "message_text": "string"},
    }
    types = {
        t.__name__: t
        for entry in routed_consumers(starlette_app)
        for route in entry.consumer_class.__chanx_plan__.ws_routes.values()
        for t in route.input_types
    }
    for message in model.messages.values():
        if message.title in types:
            types[message.title].model_validate(message.example)
    assert {"Chat", "Log", "Edit", "Delete", "PingMessage"} <= set(types)


def test_the_model_is_identical_from_run_to_run(
    starlette_app: Starlette, fastapi_app: FastAPI
) -> None:
    for app in (starlette_app, fastapi_app):
        first = json.dumps(asdict(build_api_model(app)))
        assert json.dumps(asdict(build_api_model(app))) == first


def test_emits_are_one_send_operation_of_the_messages_sent_outside_handlers() -> None:
    from typing import ClassVar, Literal

    from chanx.asyncapi import render
    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.messages.base import BaseMessage

    class Welcome(BaseMessage):
        """Sent once, on connect."""

        action: Literal["welcome"] = "welcome"
        payload: str

    class Greeter(AsyncJsonWebsocketConsumer):
        emits: ClassVar[list[type[BaseMessage]]] = [Welcome]

        async def post_authentication(self) -> None:
            await self.send_message(Welcome(payload="hi"))

    app = Starlette(routes=[WebSocketRoute("/greet", Greeter.as_asgi())])
    (channel,) = build_api_model(app).channels
    emitted = operations(channel)["emits"]
    assert (emitted.action, emitted.messages, emitted.replies) == ("send", ("Welcome",), ())
    assert emitted.key == "Greeter.emits"
    document = json.loads(render(build_api_model(app)))
    assert document["operations"]["Greeter.emits"]["action"] == "send"
    assert "Welcome" in document["components"]["messages"]


def test_a_camelized_twin_of_a_channel_is_titled_distinctly(consumers: SimpleNamespace) -> None:
    from chanx.core.decorators import channel

    @channel(name="chat")
    class CamelTwin(consumers.ChatConsumer):  # type: ignore[misc, name-defined]
        formatters = ("test-camel",)

    app = Starlette(
        routes=[
            WebSocketRoute("/ws/chat", consumers.ChatConsumer.as_asgi()),
            WebSocketRoute("/ws/camel-chat", CamelTwin.as_asgi()),
        ]
    )
    model = build_api_model(app)
    assert [(c.title, c.address) for c in model.channels] == [
        ("chat", "/ws/chat"),
        ("chat (test-camel)", "/ws/camel-chat"),
    ]
    assert {m.content_type for m in model.messages.values()} == {"application/json"}
