"""A FastAPI chat that exposes chanx's OpenTelemetry metrics at /metrics and records spans.

Run it (from this directory) with::

    uvicorn app:app --ws websockets-sansio

then open ws://127.0.0.1:8000/ws, send `{"action": "ping"}`, POST /notify?text=hi, and read
http://127.0.0.1:8000/metrics. Environment:

- `CHANX_DEMO_REDIS_URL`: use the Redis layer (several processes share broadcasts);
- `CHANX_DEMO_SPANS_FILE`: write finished spans there as JSON lines (else they are dropped).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Literal

from chanx_otel.prometheus import metrics_app
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, REGISTRY
from starlette.routing import Route, WebSocketRoute

from chanx.core.decorators import event_handler, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.layers import configure_layers
from chanx.messages.base import BaseMessage


class JsonLinesExporter(SpanExporter):
    """Appends each finished span to a file, one JSON object per line."""

    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with open(self.path, "a", encoding="utf-8") as out:
            for span in spans:
                out.write(span.to_json(indent=None) + "\n")
        return SpanExportResult.SUCCESS


service = os.environ.get("CHANX_DEMO_SERVICE", "chat")
tracer_provider = TracerProvider(resource=Resource.create({"service.name": service}))
if spans_file := os.environ.get("CHANX_DEMO_SPANS_FILE"):
    tracer_provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(spans_file)))
trace.set_tracer_provider(tracer_provider)

if redis_url := os.environ.get("CHANX_DEMO_REDIS_URL"):
    prefix = os.environ.get("CHANX_DEMO_REDIS_PREFIX", "chanx-demo")
    configure_layers(
        {"default": {"BACKEND": "redis", "CONFIG": {"url": redis_url, "prefix": prefix}}}
    )


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"


class Notice(BaseMessage):
    action: Literal["notice"] = "notice"
    payload: str


class Room(AsyncJsonWebsocketConsumer[Notice]):
    """Every connection joins `room`; POST /notify broadcasts a notice to it."""

    observers = ("otel",)
    groups = ["room"]

    @ws_handler
    async def handle_ping(self, message: Ping) -> Pong:
        return Pong()

    @event_handler
    async def handle_notice(self, event: Notice) -> Notice:
        return event


# Keep /metrics about chanx: drop prometheus_client's process, platform and GC collectors.
for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.unregister(collector)

tracer = trace.get_tracer("chat.views")
app = FastAPI(
    routes=[
        WebSocketRoute("/ws", Room.as_asgi()),
        Route("/metrics", metrics_app()),
    ]
)


@app.post("/notify")
async def notify(text: str) -> dict[str, str]:
    """Broadcast a notice to every connection, in every process, inside a span."""
    with tracer.start_as_current_span("POST /notify") as span:
        await Room.broadcast_event(Notice(payload=text))
        context = span.get_span_context()
    return {
        "trace_id": format(context.trace_id, "032x"),
        "span_id": format(context.span_id, "016x"),
    }
