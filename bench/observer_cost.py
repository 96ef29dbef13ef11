"""What the OpenTelemetry observer (chanx-otel) costs per frame, side by side, without a server.

Drives one ping/pong consumer class through ASGI in one event loop (no sockets, like
`asgi_cost.py`), in interleaved rounds, in four variants:

- `chanx`: the class selects no observer (`plan.observer is None`, the unobserved path);
- `otel, API only`: `observers = ("otel",)` with no OpenTelemetry SDK configured (the API's
  no-op providers: what installing the plugin costs before an application sets providers);
- `otel, SDK, no-op exporters`: the SDK's `MeterProvider` with a periodic reader and a
  `TracerProvider` with a batch span processor, both exporting to exporters that drop
  everything (every span is created, sampled and queued; every measurement aggregated);
- `otel, SDK, spans off`: the same metrics, with the tracer provider sampling nothing.

Run: `.venv/bin/python bench/observer_cost.py [--frames N] [--rounds R] [--json FILE]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import chanx_otel
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    MetricExporter,
    MetricExportResult,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

from chanx.core.decorators import ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

sys.path.insert(0, str(Path(__file__).resolve().parent))

from asgi_cost import per_frame_us


class Plain(AsyncJsonWebsocketConsumer):
    """Replies to each ping with a pong; completion signals and message logging off."""

    send_completion = False
    log_websocket_message = False

    @ws_handler
    async def handle_ping(self, message: PingMessage) -> PongMessage:
        """Answer a ping."""
        return PongMessage()


class Observed(Plain):
    """The same consumer, watched by the OpenTelemetry observer."""

    observers = ("otel",)


class DropSpans(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DropMetrics(MetricExporter):
    def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kwargs: Any) -> Any:
        return MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        return None


def sdk(sampled: bool) -> Callable[[], None]:
    reader = PeriodicExportingMetricReader(DropMetrics(), export_interval_millis=60_000)
    meters = MeterProvider(metric_readers=[reader])
    tracers = TracerProvider() if sampled else TracerProvider(sampler=ALWAYS_OFF)
    tracers.add_span_processor(BatchSpanProcessor(DropSpans()))
    return lambda: chanx_otel.setup(meter_provider=meters, tracer_provider=tracers)


def app(cls: type) -> Any:
    return Starlette(routes=[WebSocketRoute("/ws", cls.as_asgi())])


VARIANTS: dict[str, tuple[Any, Callable[[], None]]] = {
    "chanx": (app(Plain), lambda: None),
    "otel, API only": (app(Observed), lambda: chanx_otel.setup()),
    "otel, SDK, no-op exporters": (app(Observed), sdk(sampled=True)),
    "otel, SDK, spans off": (app(Observed), sdk(sampled=False)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--json", type=Path, help="also write the raw rounds here")
    args = parser.parse_args()
    rounds: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for asgi, configure in VARIANTS.values():  # warm up every path once
        configure()
        asyncio.run(per_frame_us(asgi, 2_000))
    for _ in range(args.rounds):
        for name, (asgi, configure) in VARIANTS.items():
            configure()
            rounds[name].append(asyncio.run(per_frame_us(asgi, args.frames)))
    base = statistics.median(rounds["chanx"])
    print(f"Python {platform.python_version()}, {args.rounds} rounds of {args.frames} frames")
    print("| variant | CPU µs per frame (median) | min | added vs `chanx` (median) |")
    print("|---|---:|---:|---:|")
    for name, values in rounds.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {min(values):.2f} | {median - base:+.2f} |")
    if args.json:
        args.json.write_text(json.dumps(rounds, indent=2))


if __name__ == "__main__":
    main()
