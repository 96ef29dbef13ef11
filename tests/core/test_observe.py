"""Observers (`chanx.core.observe`): selected once per class, called through plain wrappers.

A recording observer, registered as an in-process plugin, checks every seam the runtime
offers: handler wrappers at plan time, refusals with their cause, open/close with the code,
frame and layer wrappers, every send with its typed message, and the layer-message stamp.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

import pytest

from chanx import conf
from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.decorators import event_handler, ws_handler
from chanx.core.observe import ObserverChain, refusal_cause
from chanx.kernel import PluginHost, hookimpl
from chanx.kernel.contracts import ConnectionObserver, Observer
from chanx.kernel.errors import ComponentNotFoundError
from chanx.messages.base import BaseMessage

Log = list[tuple[Any, ...]]


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"


class Nudge(BaseMessage):
    action: Literal["nudge"] = "nudge"


class Recorder:
    """An observer that writes every call into `log`."""

    def __init__(self, consumer_cls: type, log: Log, tag: str) -> None:
        self.consumer = consumer_cls.__name__
        self.log = log
        self.tag = tag

    @property
    def name(self) -> str:
        return self.tag

    def wrap_handler(self, kind: str, action: str, handler: Any) -> Any:
        self.log.append((self.tag, "wrap_handler", kind, action))

        async def wrapped(consumer: Any, message: Any) -> Any:
            self.log.append((self.tag, "handler", action))
            return await handler(consumer, message)

        return wrapped

    def stamp(self, message: dict[str, Any], layer: Any) -> None:
        self.log.append((self.tag, "stamp", message["type"]))
        message.setdefault("stamps", []).append(self.tag)

    def connect(self, consumer: Any) -> ConnectionObserver:
        return RecordingConnection(self)


class RecordingConnection:
    def __init__(self, owner: Recorder) -> None:
        self.owner = owner

    def _note(self, *event: Any) -> None:
        self.owner.log.append((self.owner.tag, *event))

    def refused(self, cause: str, code: int) -> None:
        self._note("refused", cause, code)

    def opened(self) -> None:
        self._note("opened")

    def wrap_frame(self, serve: Any) -> Any:
        async def wrapped(message: Any) -> None:
            self._note("frame", message.get("text"))
            await serve(message)

        return wrapped

    def wrap_layer(self, serve: Any) -> Any:
        async def wrapped(message: Any) -> None:
            self._note("layer", message["type"], tuple(message.get("stamps", ())))
            await serve(message)

        return wrapped

    def wrap_send(self, send_frame: Any) -> Any:
        async def wrapped(frame: Any, message: Any = None) -> None:
            self._note("send", getattr(message, "action", None))
            await send_frame(frame, message)

        return wrapped

    def backpressure(self, seconds: float) -> None:
        self._note("backpressure")

    def closed(self, code: int) -> None:
        self._note("closed", code)


LOG: Log = []


class RecorderPlugin:
    @hookimpl
    def chanx_register_observers(self, registry: Any) -> None:
        registry.add("recorder", lambda cls: Recorder(cls, LOG, "recorder"))
        registry.add("second", lambda cls: Recorder(cls, LOG, "second"))


@pytest.fixture(autouse=True)
def recorder(plugin_host: PluginHost) -> Iterator[Log]:
    plugin_host.register(RecorderPlugin(), name="recorder-plugin")
    LOG.clear()
    yield LOG
    LOG.clear()
    conf.reset()


class EchoBody:
    groups = ["room"]

    @ws_handler
    async def handle_ping(self, message: Ping) -> Pong:
        return Pong()

    @event_handler
    async def handle_nudge(self, event: Nudge) -> Nudge:
        return event


def test_an_observer_is_built_per_class_and_wraps_only_the_dispatch_tables(adapter: Any) -> None:
    cls = adapter.consumer(EchoBody, observers=("recorder",))
    plan = cls.__chanx_plan__
    assert isinstance(plan.observer, Observer)
    assert ("recorder", "wrap_handler", "ws", "ping") in LOG
    assert ("recorder", "wrap_handler", "event", "nudge") in LOG
    assert plan.ws_routes["ping"].func is EchoBody.handle_ping  # docs see the handler as written
    assert plan.ws_dispatch[Ping].func is not EchoBody.handle_ping


def test_a_class_without_observers_has_no_observer_on_its_plan(adapter: Any) -> None:
    cls = adapter.consumer(EchoBody, observers=())
    assert cls.__chanx_plan__.observer is None
    assert cls.__chanx_plan__.ws_dispatch[Ping].func is EchoBody.handle_ping


async def test_every_seam_is_called_in_order(adapter: Any) -> None:
    cls = adapter.consumer(EchoBody, observers=("recorder",))
    app = adapter.app(("/e", cls))
    async with adapter.client(app, "/e") as client:
        await client.send_message(Ping())
        assert await client.receive_json() == {"action": "pong", "payload": None}
        await client.send_text("{not json")
        error = await client.receive_json()
        assert error["payload"]["code"] == "invalid_json"
        await cls.broadcast_event(Nudge(), ["room"])
        assert await client.receive_json() == {"action": "nudge", "payload": None}
    events = [e[1:] for e in LOG if e[1] != "wrap_handler"]
    assert events == [
        ("opened",),
        ("frame", '{"payload":null,"action":"ping"}'),
        ("handler", "ping"),
        ("send", "pong"),
        ("frame", "{not json"),
        ("send", "error"),
        ("stamp", "chanx.event"),
        ("layer", "chanx.event", ("recorder",)),
        ("handler", "nudge"),
        ("send", "nudge"),
        ("closed", 1000),
    ]


async def test_the_setting_selects_observers_for_every_class(adapter: Any) -> None:
    conf.configure(observers=["recorder"])
    cls = adapter.consumer(EchoBody, observers=None)
    assert cls.__chanx_plan__.observer is not None
    conf.configure(observers=[])
    assert cls.current_plan().observer is None  # plan-shaping: the class is recompiled


def test_an_unknown_observer_name_fails_at_class_creation(adapter: Any) -> None:
    with pytest.raises(ComponentNotFoundError, match="otle"):
        adapter.consumer(EchoBody, observers=("otle",))


async def test_two_observers_chain_first_outermost(adapter: Any) -> None:
    cls = adapter.consumer(EchoBody, observers=("recorder", "second"))
    assert isinstance(cls.__chanx_plan__.observer, ObserverChain)
    assert cls.__chanx_plan__.observer.name == "recorder+second"
    app = adapter.app(("/e", cls))
    async with adapter.client(app, "/e") as client:
        await client.send_message(Ping())
        await client.receive_json()
    frames = [e for e in LOG if e[1] in ("frame", "handler", "send", "closed")]
    assert [e[:2] for e in frames] == [
        ("recorder", "frame"),
        ("second", "frame"),
        ("recorder", "handler"),
        ("second", "handler"),
        ("recorder", "send"),
        ("second", "send"),
        ("recorder", "closed"),
        ("second", "closed"),
    ]


class Refuser(BaseAuthenticator):
    async def authenticate(self) -> bool:
        raise AuthenticationFailed(4403, "no", 403)


async def test_refusals_report_their_cause_and_code(adapter: Any) -> None:
    cls = adapter.consumer(EchoBody, observers=("recorder",), authenticator_class=Refuser)
    app = adapter.app(("/e", cls))
    client = adapter.client(app, "/e")
    await client.connect()
    await client.assert_closed(4403)
    assert ("recorder", "refused", "auth", 4403) in LOG
    assert not any(e[1] == "opened" for e in LOG)

    LOG.clear()
    strict = adapter.consumer(EchoBody, observers=("recorder",), allowed_origins=())
    app = adapter.app(("/s", strict))
    client = adapter.client(app, "/s", headers=[("origin", "https://evil.test")])
    await client.connect()
    # the test communicator has no `websocket.http.response`: a close 1008 instead of HTTP 403
    assert ("recorder", "refused", "origin", 1008) in LOG


def test_refusal_causes_follow_the_close_code() -> None:
    assert refusal_cause(4409) == "limit"
    assert refusal_cause(1011) == "error"
    assert refusal_cause(4401) == "auth"
    assert refusal_cause(4408) == "auth"


async def test_django_chanx_observers_setting_selects_observers(adapter: Any) -> None:
    if adapter.name != "django":
        pytest.skip("settings.CHANX is Django's")
    from django.test import override_settings

    cls = adapter.consumer(EchoBody, observers=None)
    assert cls.current_plan().observer is None
    with override_settings(CHANX={"OBSERVERS": ["recorder"]}):
        assert cls.current_plan().observer is not None  # rebuilt: the setting shapes the plan
        app = adapter.app(("/e", cls))
        async with adapter.client(app, "/e") as client:
            await client.send_message(Ping())
            await client.receive_json()
        assert ("recorder", "handler", "ping") in LOG
    assert cls.current_plan().observer is None
