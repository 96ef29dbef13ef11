"""Fixtures: chanx's telemetry, recorded by the SDK's in-memory metric reader and span exporter."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import chanx_otel
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from chanx import conf
from chanx.kernel import reset_plugin_host
from chanx.layers import reset_layers


@dataclass
class Recorded:
    """What chanx recorded: read metrics with `points(name)`, spans with `spans()`."""

    reader: InMemoryMetricReader
    exporter: InMemorySpanExporter
    tracer_provider: TracerProvider

    def points(self, name: str) -> dict[frozenset[tuple[str, Any]], Any]:
        """Data points of metric `name`: attributes -> value (sum, gauge value or histogram)."""
        found: dict[frozenset[tuple[str, Any]], Any] = {}
        data = self.reader.get_metrics_data()
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            key = frozenset((point.attributes or {}).items())
                            found[key] = point
        return found

    def value(self, name: str, **attributes: Any) -> Any:
        """The value (or histogram point) of `name` at exactly these attributes."""
        key = frozenset((k.replace("_", "."), v) for k, v in attributes.items())
        point = self.points(name).get(key)
        if point is None:
            return None
        return getattr(point, "value", point)

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        """Finished spans, optionally only those called `name`."""
        spans = list(self.exporter.get_finished_spans())
        return [s for s in spans if name is None or s.name == name]


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    reset_plugin_host()
    reset_layers()
    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[reader])
    chanx_otel.setup(meter_provider=meter_provider, tracer_provider=tracer_provider)
    yield Recorded(reader, exporter, tracer_provider)
    conf.reset()
    reset_layers()


def require_redis() -> None:
    """Skip without Redis at 127.0.0.1:6379, or fail when CHANX_REQUIRE_REDIS=1 (CI)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return
    except OSError:
        pass
    if os.environ.get("CHANX_REQUIRE_REDIS") == "1":
        pytest.fail("CHANX_REQUIRE_REDIS=1 but no Redis answers at 127.0.0.1:6379")
    pytest.skip("Redis not reachable at 127.0.0.1:6379 (set CHANX_REQUIRE_REDIS=1 to fail)")
