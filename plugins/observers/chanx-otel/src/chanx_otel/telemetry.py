"""The instruments chanx records with, and where they come from (`setup()`).

Every metric is created here, once per `Telemetry`, from a meter of the configured (or the
global) `MeterProvider`; spans come from a tracer of the configured (or global)
`TracerProvider`. With no OpenTelemetry SDK configured, the API's no-op providers make all
of it cost almost nothing, and it starts recording as soon as an application sets a provider.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

from chanx_otel.layers import LayerWatch
from chanx_otel.logs import install_log_correlation

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

__all__ = ["METRICS", "Tally", "Telemetry", "setup", "telemetry"]

SCOPE = "chanx"
"""The instrumentation scope name of every meter and tracer."""

METRICS: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "chanx.connections.open": (
        "updowncounter",
        "{connection}",
        "Open connections",
        ("chanx.consumer",),
    ),
    "chanx.connection.duration": (
        "histogram",
        "s",
        "How long accepted connections stayed open",
        ("chanx.consumer",),
    ),
    "chanx.connection.closes": (
        "counter",
        "{connection}",
        "Accepted connections that ended, by close code",
        (
            "chanx.consumer",
            "websocket.close.code",
        ),
    ),
    "chanx.handshake.refusals": (
        "counter",
        "{handshake}",
        "Refused handshakes, by cause (origin, auth, limit, error)",
        (
            "chanx.consumer",
            "chanx.refusal.cause",
            "websocket.close.code",
        ),
    ),
    "chanx.frames.received": (
        "observable_counter",
        "{frame}",
        "Client frames served, by action (`(invalid)` when not decodable)",
        (
            "chanx.consumer",
            "chanx.action",
        ),
    ),
    "chanx.frames.sent": (
        "observable_counter",
        "{frame}",
        "Frames sent to clients, by action",
        (
            "chanx.consumer",
            "chanx.action",
        ),
    ),
    "chanx.frames.errors": (
        "observable_counter",
        "{frame}",
        "Error frames sent, by reason (the error code)",
        (
            "chanx.consumer",
            "error.type",
        ),
    ),
    "chanx.handler.duration": (
        "histogram",
        "s",
        "Time in a handler, by action and kind (ws, event)",
        (
            "chanx.consumer",
            "chanx.action",
            "chanx.handler.kind",
        ),
    ),
    "chanx.frames.backlog": (
        "observable_gauge",
        "{frame}",
        "Client frames waiting behind the one in progress, summed over open connections",
        ("chanx.consumer",),
    ),
    "chanx.connection.backpressure.duration": (
        "histogram",
        "s",
        "Time reading was paused because a connection's backlog was full",
        ("chanx.consumer",),
    ),
    "chanx.layer.messages.sent": (
        "observable_counter",
        "{message}",
        "Messages a channel layer accepted (per receiving channel) or published",
        ("chanx.layer",),
    ),
    "chanx.layer.messages.delivered": (
        "observable_counter",
        "{message}",
        "Messages a channel layer handed to a receiver",
        ("chanx.layer",),
    ),
    "chanx.layer.messages.dropped": (
        "observable_counter",
        "{message}",
        "Messages a channel layer lost, by reason (capacity, expired, unavailable, unroutable)",
        (
            "chanx.layer",
            "chanx.drop.reason",
        ),
    ),
    "chanx.layer.redis.reconnects": (
        "observable_counter",
        "{reconnect}",
        "Times a Redis layer's pub/sub connection was lost or could not be made",
        ("chanx.layer",),
    ),
}
"""Every metric: name -> (instrument, unit, description, attribute keys). Documented as is."""


_LATENCY = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
BOUNDARIES: dict[str, tuple[float, ...]] = {
    "chanx.handler.duration": (*_LATENCY, 2.5, 5.0, 10.0),
    "chanx.connection.backpressure.duration": (0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0),
    "chanx.connection.duration": (1.0, 10.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 86400.0),
}
"""Histogram bucket boundaries in seconds (an advisory: a View may override them)."""


class Tally:
    """Counts per attribute set, kept in plain Python and read by an observable counter.

    Per-frame counters cost a dict lookup and an addition this way, instead of an SDK
    measurement (attribute cleaning, hashing, aggregation) per frame. Attribute dicts must
    be the same objects each time (the observer caches one per action).
    """

    __slots__ = ("_cells",)

    def __init__(self) -> None:
        self._cells: dict[int, list[Any]] = {}

    def add(self, attributes: dict[str, Any], amount: int = 1) -> None:
        """Add `amount` to the count of `attributes`."""
        cell = self._cells.get(id(attributes))
        if cell is None:
            cell = self._cells[id(attributes)] = [attributes, 0]
        cell[1] += amount

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        """The cumulative count of every attribute set seen."""
        return [Observation(count, attributes) for attributes, count in list(self._cells.values())]


class Telemetry:
    """One set of instruments, a tracer, and what the observable metrics read.

    Args:
        meter_provider: Where metrics go; the global provider when omitted.
        tracer_provider: Where spans go; the global provider when omitted.
    """

    def __init__(
        self,
        meter_provider: MeterProvider | None = None,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        from chanx_otel import __version__

        meter = (meter_provider or metrics.get_meter_provider()).get_meter(SCOPE, __version__)
        self._own_tracer_provider = tracer_provider is not None
        self.tracer = (tracer_provider or trace.get_tracer_provider()).get_tracer(
            SCOPE, __version__
        )
        self.layers = LayerWatch()
        self.live: weakref.WeakSet[Any] = weakref.WeakSet()
        """Open connection observers (read by the backlog gauge)."""

        def make(name: str) -> Any:
            kind, unit, description, _ = METRICS[name]
            if kind.startswith("observable"):
                callback = self._callbacks[name]
                create = getattr(meter, f"create_{kind}")
                return create(name, callbacks=[callback], unit=unit, description=description)
            if kind == "histogram":
                return meter.create_histogram(
                    name,
                    unit=unit,
                    description=description,
                    explicit_bucket_boundaries_advisory=list(BOUNDARIES[name]),
                )
            create = getattr(meter, f"create_{kind.replace('updowncounter', 'up_down_counter')}")
            return create(name, unit=unit, description=description)

        self.received = Tally()
        self.sent = Tally()
        self.errors = Tally()
        self._callbacks = {
            "chanx.frames.received": self.received.observe,
            "chanx.frames.sent": self.sent.observe,
            "chanx.frames.errors": self.errors.observe,
            "chanx.frames.backlog": self._observe_backlog,
            "chanx.layer.messages.sent": self.layers.observe_sent,
            "chanx.layer.messages.delivered": self.layers.observe_delivered,
            "chanx.layer.messages.dropped": self.layers.observe_dropped,
            "chanx.layer.redis.reconnects": self.layers.observe_reconnects,
        }
        self.instruments = {name: make(name) for name in METRICS}
        self.open = self.instruments["chanx.connections.open"]
        self.duration = self.instruments["chanx.connection.duration"]
        self.closes = self.instruments["chanx.connection.closes"]
        self.refusals = self.instruments["chanx.handshake.refusals"]
        self.handler = self.instruments["chanx.handler.duration"]
        self.backpressure = self.instruments["chanx.connection.backpressure.duration"]

    @property
    def tracing(self) -> bool:
        """Whether spans can record: a provider was given, or the global one has been set.

        Read when a connection opens: until an application sets a tracer provider, the
        API's spans are no-ops, and connections skip them altogether.
        """
        return self._own_tracer_provider or not isinstance(
            trace.get_tracer_provider(), trace.ProxyTracerProvider
        )

    def _observe_backlog(self, options: CallbackOptions) -> Iterable[Observation]:
        totals: dict[str, int] = {}
        for connection in list(self.live):
            totals[connection.consumer_name] = (
                totals.get(connection.consumer_name, 0) + connection.pending
            )
        return [Observation(n, {"chanx.consumer": c}) for c, n in sorted(totals.items())]


_lock = threading.Lock()
_current: Telemetry | None = None


def telemetry() -> Telemetry:
    """The process's `Telemetry`, built on first use from the global providers."""
    global _current
    current = _current
    if current is None:
        with _lock:
            if _current is None:
                _current = Telemetry()
                install_log_correlation()
            current = _current
    return current


def setup(
    *,
    meter_provider: MeterProvider | None = None,
    tracer_provider: TracerProvider | None = None,
    correlate_logs: bool = True,
) -> Telemetry:
    """Choose the providers chanx records to (instead of the global ones).

    Connections opened after this call record to the new providers. Call it once per
    provider, at start-up, before serving (a second call with the same `MeterProvider`
    gets the first call's instruments back from the SDK, whose counts it no longer feeds);
    tests call it with a fresh in-memory reader and exporter each.

    Args:
        meter_provider: The `MeterProvider` for chanx's metrics (default: the global one).
        tracer_provider: The `TracerProvider` for chanx's spans (default: the global one).
        correlate_logs: Add `trace_id` / `span_id` to every log record (see
            `chanx_otel.logs.install_log_correlation`).

    Returns:
        The new `Telemetry`.
    """
    global _current
    with _lock:
        _current = Telemetry(meter_provider, tracer_provider)
    if correlate_logs:
        install_log_correlation()
    return _current
