"""Compiling consumer classes: handler collection, unions, passthrough, and definition errors.

This module uses `from __future__ import annotations` on purpose: handler annotations are
strings here, and message classes defined inside test functions must still resolve.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import pytest

from chanx.core.decorators import channel, event_handler, ws_handler
from chanx.core.plan import ConsumerDefinitionError, snake_case
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.kernel import ComponentNotFoundError, PluginHost, hookimpl, reset_plugin_host
from chanx.kernel.install import install_hint
from chanx.messages.base import BaseChannelEvent, BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage


class Chat(BaseMessage):
    action: Literal["chat"] = "chat"
    payload: str = ""


class Joined(BaseMessage):
    action: Literal["joined"] = "joined"
    payload: str = ""


class Left(BaseMessage):
    action: Literal["left"] = "left"
    payload: str = ""


def test_local_message_classes_resolve_under_future_annotations() -> None:
    class Local(BaseMessage):
        action: Literal["local"] = "local"

    class C(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_local(self, message: Local) -> PongMessage:
            return PongMessage()

    route = C.__chanx_plan__.ws_routes["local"]
    assert route.input_types == (Local,)
    assert route.output_type is PongMessage
    assert route.action == "local"


def test_handlers_are_collected_across_the_mro_including_plain_mixins() -> None:
    class PingMixin:
        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    class Base(AsyncJsonWebsocketConsumer):
        @event_handler
        async def handle_joined(self, event: Joined) -> Joined:
            return event

    class C(PingMixin, Base):
        @ws_handler
        async def handle_chat(self, message: Chat) -> None: ...

    plan = C.__chanx_plan__
    assert set(plan.ws_routes) == {"ping", "chat"}
    assert set(plan.event_routes) == {"action=joined"}
    assert plan.ws_routes["chat"].output_type is None


def test_an_undecorated_override_keeps_the_handler_role() -> None:
    class Base(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    class C(Base):
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage(payload=None)

    assert C.__chanx_plan__.ws_routes["ping"].func is C.__dict__["handle_ping"]


def test_two_handlers_for_one_action_is_an_error_naming_both() -> None:
    with pytest.raises(ConsumerDefinitionError) as info:

        class C(AsyncJsonWebsocketConsumer):
            @ws_handler
            async def handle_a(self, message: Chat) -> None: ...

            @ws_handler
            async def handle_b(self, message: Chat) -> None: ...

    assert "handle_a() and handle_b() both handle action 'chat'" in str(info.value)


def test_a_handler_without_an_input_type_is_an_error() -> None:
    with pytest.raises(ConsumerDefinitionError, match=r"C\.handle_x: @ws_handler needs an input"):

        class C(AsyncJsonWebsocketConsumer):
            @ws_handler
            async def handle_x(self, message) -> None: ...  # type: ignore[no-untyped-def]


def test_a_sync_handler_is_an_error() -> None:
    with pytest.raises(ConsumerDefinitionError, match="must be `async def`"):

        class C(AsyncJsonWebsocketConsumer):
            @ws_handler
            def handle_chat(self, message: Chat) -> None: ...


def test_an_unresolvable_annotation_is_an_error_with_the_fix() -> None:
    with pytest.raises(ConsumerDefinitionError, match="cannot resolve a type annotation"):

        class C(AsyncJsonWebsocketConsumer):
            @ws_handler
            async def handle_chat(self, message: Nowhere) -> None: ...  # type: ignore[name-defined]  # noqa: F821


def test_input_type_must_be_a_concrete_message() -> None:
    class Abstract(BaseMessage, abstract=True):
        pass

    with pytest.raises(ConsumerDefinitionError, match="is not a BaseMessage subclass"):

        class C(AsyncJsonWebsocketConsumer):
            @ws_handler
            async def handle_x(self, message: int) -> None: ...

    with pytest.raises(ConsumerDefinitionError, match="is abstract"):

        class D(AsyncJsonWebsocketConsumer):
            @ws_handler
            async def handle_x(self, message: Abstract) -> None: ...


def test_explicit_types_and_union_inputs() -> None:
    class C(AsyncJsonWebsocketConsumer):
        @ws_handler(input_type=Chat, output_type=Joined, action="talk")
        async def anything(self, message: Any) -> None: ...

        @ws_handler
        async def handle_presence(self, message: Joined | Left) -> Chat | None: ...

    plan = C.__chanx_plan__
    assert plan.ws_routes["chat"].action == "talk"
    assert plan.ws_routes["chat"].output_type is Joined
    assert plan.ws_routes["joined"] is plan.ws_routes["left"]
    assert plan.ws_routes["joined"].output_type is Chat


def test_passthrough_generates_named_methods_merged_across_the_mro() -> None:
    class Presence:
        passthrough_events: ClassVar[list[type[BaseMessage]]] = [Joined, Left]

    class C(Presence, AsyncJsonWebsocketConsumer):
        passthrough_events: ClassVar[list[type[BaseMessage]]] = [Chat, Joined]

    plan = C.__chanx_plan__
    assert {r.method_name for r in plan.event_routes.values()} == {
        "handle_passthrough_joined",
        "handle_passthrough_left",
        "handle_passthrough_chat",
    }
    assert all(
        r.passthrough and r.output_type is r.input_types[0] for r in plan.event_routes.values()
    )
    assert callable(C.handle_passthrough_joined)  # type: ignore[attr-defined]


def test_passthrough_prefix_and_explicit_handler_priority() -> None:
    class C(AsyncJsonWebsocketConsumer):
        passthrough_events: ClassVar[list[type[BaseMessage]]] = [Joined, Left]
        passthrough_method_prefix = "forward_"

        @event_handler
        async def handle_joined(self, event: Joined) -> Joined:
            return event

    plan = C.__chanx_plan__
    assert plan.event_routes["action=joined"].method_name == "handle_joined"
    assert plan.event_routes["action=left"].method_name == "forward_left"
    assert not hasattr(C, "forward_joined")


def test_a_subclass_handler_wins_over_an_inherited_passthrough() -> None:
    class Base(AsyncJsonWebsocketConsumer):
        passthrough_events: ClassVar[list[type[BaseMessage]]] = [Joined]

    class C(Base):
        @event_handler
        async def on_joined(self, event: Joined) -> Joined:
            return event

    assert C.__chanx_plan__.event_routes["action=joined"].method_name == "on_joined"


def test_custom_discriminator_field() -> None:
    class Typed(BaseMessage, abstract=True):
        discriminator_field: ClassVar[str] = "type"

    class Hello(Typed):
        type: Literal["hello"] = "hello"

    class C(AsyncJsonWebsocketConsumer):
        discriminator_field = "type"

        @ws_handler
        async def handle_hello(self, message: Hello) -> None: ...

    assert set(C.__chanx_plan__.ws_routes) == {"hello"}
    with pytest.raises(ConsumerDefinitionError, match="has no Literal 'type' field"):

        class D(AsyncJsonWebsocketConsumer):
            discriminator_field = "type"

            @ws_handler
            async def handle_chat(self, message: Chat) -> None: ...


def test_events_may_mix_discriminator_fields() -> None:
    class Finished(BaseChannelEvent):
        handler: Literal["finished"] = "finished"

    class C(AsyncJsonWebsocketConsumer):
        @event_handler
        async def handle_finished(self, event: Finished) -> None: ...

        @event_handler
        async def handle_joined(self, event: Joined) -> None: ...

    decoder = C.__chanx_plan__.event_decoder
    assert isinstance(decoder.decode({"handler": "finished"}), Finished)
    assert isinstance(decoder.decode({"action": "joined"}), Joined)


def test_channel_metadata_and_docstring_reach_the_plan() -> None:
    @channel(name="chat", description="Real-time chat", tags=["a"])
    class C(AsyncJsonWebsocketConsumer):
        """Docstring."""

    plan = C.__chanx_plan__
    assert plan.channel is not None
    assert plan.channel.name == "chat"
    assert plan.doc == "Docstring."


def test_camelize_without_the_plugin_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from chanx.kernel import host as host_module

    real = host_module._entry_points  # hide the plugin when it is installed
    monkeypatch.setattr(
        host_module, "_entry_points", lambda: [e for e in real() if e.name != "format-camelize"]
    )
    reset_plugin_host()
    with pytest.raises(ComponentNotFoundError) as info:

        class C(AsyncJsonWebsocketConsumer):
            camelize = True

    reset_plugin_host()
    message = str(info.value)
    assert message.startswith("C.camelize = True: ")
    assert install_hint("camelize") in message


def test_unknown_authenticator_name_suggests_a_close_one(plugin_host: PluginHost) -> None:
    class TokenAuth:
        async def authenticate(self) -> bool:
            return True

    class Plugin:
        @hookimpl
        def chanx_register_authenticators(self, registry: Any) -> None:
            registry.add("apikey", TokenAuth)

    plugin_host.register(Plugin(), name="fake-auth")

    class Good(AsyncJsonWebsocketConsumer):
        authenticator_class = "apikey"

    assert Good.__chanx_plan__.authenticator_factory is TokenAuth
    with pytest.raises(ComponentNotFoundError, match="Did you mean 'apikey'"):

        class Bad(AsyncJsonWebsocketConsumer):
            authenticator_class = "apikee"


def test_class_creation_hooks_see_every_consumer(plugin_host: PluginHost) -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def chanx_validate_consumer(self, consumer_cls: type) -> None:
            if consumer_cls.__name__ == "Rejected":
                raise TypeError("rejected by plugin")

        @hookimpl
        def chanx_consumer_prepared(self, consumer_cls: type) -> None:
            seen.append(consumer_cls.__name__)

    class Early(AsyncJsonWebsocketConsumer):
        pass

    plugin_host.register(Observer(), name="observer")
    with pytest.raises(TypeError, match="rejected by plugin"):

        class Rejected(AsyncJsonWebsocketConsumer):
            pass

    assert "Early" in seen  # historic: replayed to a plugin registered later


def test_abstract_consumers_compile_no_plan() -> None:
    class Base(AsyncJsonWebsocketConsumer, abstract=True):
        pass

    assert "__chanx_plan__" not in Base.__dict__


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("UserJoinedNotification", "user_joined_notification"),
        ("HTTPStatus", "http_status"),
        ("MessageUpdated", "message_updated"),
        ("User2Joined", "user2_joined"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert snake_case(name) == snake


def test_a_handler_with_an_extra_required_parameter_is_rejected_naming_the_method() -> None:
    with pytest.raises(
        ConsumerDefinitionError,
        match=r"Broken\.handle_chat: @ws_handler methods are called with the message only, "
        r"so required parameter\(s\) room",
    ):

        class Broken(AsyncJsonWebsocketConsumer):
            @ws_handler
            async def handle_chat(self, message: Chat, room: str) -> None: ...


def test_a_handler_without_a_message_parameter_is_rejected() -> None:
    with pytest.raises(ConsumerDefinitionError, match=r"Broken\.handle_chat: .*one argument"):

        class Broken(AsyncJsonWebsocketConsumer):
            @ws_handler(input_type=Chat)
            async def handle_chat(self) -> None: ...


def test_optional_extra_parameters_are_accepted() -> None:
    class Fine(AsyncJsonWebsocketConsumer):
        @event_handler
        async def handle_joined(self, event: Joined, *, note: str = "", **extra: Any) -> None: ...

    assert "joined" in {r.action for r in Fine.__chanx_plan__.event_routes.values()}
