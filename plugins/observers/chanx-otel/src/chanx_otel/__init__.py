"""OpenTelemetry metrics and traces for chanx consumers.

Select it on a consumer class with `observers = ("otel",)`, or for every class with
`chanx.configure(observers=["otel"])` (Django: `CHANX = {"OBSERVERS": ["otel"]}`). It records
to the global OpenTelemetry providers unless `setup()` names others. The metric table is
`METRICS`; the guide is docs/observability.md.
"""

from __future__ import annotations

from chanx_otel.logs import install_log_correlation
from chanx_otel.observer import TRACE_KEY, OtelObserver
from chanx_otel.telemetry import METRICS, Telemetry, setup, telemetry

__version__ = "0.1.0"

__all__ = [
    "METRICS",
    "TRACE_KEY",
    "OtelObserver",
    "Telemetry",
    "__version__",
    "install_log_correlation",
    "setup",
    "telemetry",
]
