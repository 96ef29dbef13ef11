"""Spans per client frame and per event delivery, trace context in layer messages, log ids."""

from __future__ import annotations

import asyncio
import logging

import pytest
from chanx_otel import TRACE_KEY
from opentelemetry.trace import SpanKind, StatusCode

from .conftest import Recorded
from .observed_chat import Boom, Chat, Leave, Nudge, Ping, Shout, client, log


class Quiet(Chat):
    observers = ()


async def test_one_server_span_per_frame_named_consumer_action(recorded: Recorded) -> None:
    async with client() as ws:
        await ws.send_message(Ping())
        await ws.receive_json()
    (span,) = recorded.spans("Chat ping")
    assert span.kind is SpanKind.SERVER
    assert span.attributes == {"chanx.consumer": "Chat", "chanx.action": "ping"}
    assert span.status.status_code is StatusCode.UNSET
    assert span.parent is None


async def test_error_frames_and_exceptions_mark_the_span(recorded: Recorded) -> None:
    async with client() as ws:
        await ws.send_text("{oops")
        await ws.receive_json()
        await ws.send_message(Boom())
        await ws.receive_json()
    (invalid,) = recorded.spans("Chat (invalid)")
    assert invalid.attributes is not None
    assert invalid.attributes["error.type"] == "invalid_json"
    assert invalid.status.status_code is StatusCode.ERROR
    (boom,) = recorded.spans("Chat boom")
    assert boom.attributes is not None
    assert boom.attributes["error.type"] == "RuntimeError"
    assert boom.status.status_code is StatusCode.ERROR
    assert [event.name for event in boom.events] == ["exception"]


async def test_the_close_code_goes_on_the_frame_span_that_closed(recorded: Recorded) -> None:
    ws = client()
    await ws.connect()
    await ws.send_message(Leave())
    await ws.assert_closed(4000)
    await ws.disconnect()
    (span,) = recorded.spans("Chat leave")
    assert span.attributes is not None
    assert span.attributes["websocket.close.code"] == 4000


async def test_a_broadcast_from_a_view_parents_and_links_each_delivery(recorded: Recorded) -> None:
    tracer = recorded.tracer_provider.get_tracer("app")
    async with client() as first, client() as second:
        with tracer.start_as_current_span("POST /notify") as view:
            await Chat.broadcast_event(Nudge(), ["room"])
        assert await first.receive_json() == {"action": "nudge", "payload": None}
        assert await second.receive_json() == {"action": "nudge", "payload": None}
        await asyncio.sleep(0)
    (publish,) = recorded.spans("Chat publish")
    assert publish.kind is SpanKind.PRODUCER
    assert publish.parent is not None
    assert publish.parent.span_id == view.get_span_context().span_id
    deliveries = recorded.spans("Chat nudge")
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert delivery.kind is SpanKind.CONSUMER
        assert delivery.context.trace_id == view.get_span_context().trace_id
        assert delivery.parent is not None
        assert delivery.parent.span_id == publish.context.span_id
        assert [link.context.span_id for link in delivery.links] == [publish.context.span_id]
        assert delivery.attributes is not None
        assert delivery.attributes["chanx.layer.message.type"] == "chanx.event"


async def test_a_relay_from_a_frame_continues_the_frame_trace(recorded: Recorded) -> None:
    async with client() as ws:
        await ws.send_message(Shout())
        assert await ws.receive_json() == {"action": "pong", "payload": None}
        await asyncio.sleep(0)
    (frame,) = recorded.spans("Chat shout")
    (relay,) = recorded.spans("Chat pong")
    assert relay.context.trace_id == frame.context.trace_id
    assert relay.attributes is not None
    assert relay.attributes["chanx.layer.message.type"] == "chanx.relay"


async def test_layer_messages_carry_w3c_trace_context(recorded: Recorded) -> None:
    sent: list[dict[str, object]] = []

    class Spy:
        stats = None

        async def group_send(self, group: str, message: dict[str, object]) -> None:
            sent.append(message)

    Chat.get_channel_layer = classmethod(lambda cls: Spy())  # type: ignore[method-assign,assignment]
    try:
        await Chat.broadcast_event(Nudge(), ["room"])
    finally:
        del Chat.get_channel_layer
    (message,) = sent
    carrier = message[TRACE_KEY]
    assert isinstance(carrier, dict)
    assert carrier["traceparent"].startswith("00-")


async def test_log_records_get_trace_and_span_ids_while_a_frame_is_handled(
    recorded: Recorded, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tests.chanx_otel"):
        async with client() as ws:
            await ws.send_message(Ping())
            await ws.receive_json()
        log.warning("after the frame")
    (span,) = recorded.spans("Chat ping")
    inside, outside = [r for r in caplog.records if r.name == "tests.chanx_otel"]
    assert inside.trace_id == format(span.context.trace_id, "032x")  # type: ignore[attr-defined]
    assert inside.span_id == format(span.context.span_id, "016x")  # type: ignore[attr-defined]
    assert outside.trace_id == outside.span_id == "0"  # type: ignore[attr-defined]


async def test_a_class_without_the_observer_records_nothing(recorded: Recorded) -> None:
    async with client(Quiet) as ws:
        await ws.send_message(Ping())
        await ws.receive_json()
    assert recorded.spans() == []
    assert recorded.points("chanx.frames.received") == {}


async def test_without_a_tracer_provider_frames_skip_spans_but_keep_metrics(
    recorded: Recorded,
) -> None:
    from chanx_otel import setup
    from opentelemetry import trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
    reader = InMemoryMetricReader()
    current = setup(meter_provider=MeterProvider(metric_readers=[reader]))
    assert current.tracing is False
    async with client() as ws:
        await ws.send_message(Ping())
        await ws.receive_json()
    assert recorded.spans() == []
    (metric,) = [
        m
        for r in reader.get_metrics_data().resource_metrics
        for s in r.scope_metrics
        for m in s.metrics
        if m.name == "chanx.frames.received"
    ]
    assert [(p.attributes, p.value) for p in metric.data.data_points] == [
        ({"chanx.consumer": "Chat", "chanx.action": "ping"}, 1)
    ]
