"""chanx with the OpenTelemetry observer: the ping/pong consumer with `observers = ("otel",)`.

`BENCH_OTEL=sdk` records to the SDK (a periodic metric reader and an always-sampled batch span
processor, both exporting to exporters that drop everything); otherwise no SDK is configured
and the plugin runs on the OpenTelemetry API's no-op providers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import chanx_otel
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import channel, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

if os.environ.get("BENCH_OTEL") == "sdk":
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import (
        MetricExporter,
        MetricExportResult,
        PeriodicExportingMetricReader,
    )
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

    class DropSpans(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    class DropMetrics(MetricExporter):
        def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kw: Any) -> Any:
            return MetricExportResult.SUCCESS

        def force_flush(self, timeout_millis: float = 10_000) -> bool:
            return True

        def shutdown(self, timeout_millis: float = 30_000, **kw: Any) -> None:
            return None

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DropSpans()))
    reader = PeriodicExportingMetricReader(DropMetrics(), export_interval_millis=10_000)
    chanx_otel.setup(
        meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tracer_provider
    )


@channel(name="bench")
class PingConsumer(AsyncJsonWebsocketConsumer):
    """Replies to each ping with a pong; completion signals and message logging off."""

    send_completion = False
    log_websocket_message = False
    observers = ("otel",)

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer a ping."""
        return PongMessage()


app = Starlette(routes=[WebSocketRoute("/ws", PingConsumer.as_asgi())])
