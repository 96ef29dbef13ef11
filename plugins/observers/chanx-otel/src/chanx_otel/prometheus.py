"""A Prometheus `/metrics` endpoint for chanx's metrics, in one call.

Needs `pip install "chanx-otel[prometheus]"` (the OpenTelemetry SDK and its Prometheus
exporter, which brings `prometheus_client`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["metrics_app"]


def metrics_app(*, tracer_provider: Any = None) -> Any:
    """Record chanx's metrics to a Prometheus reader and return the ASGI app that serves them.

    Mount the result at `/metrics` (Starlette: `Mount("/metrics", app=metrics_app())`).

    Args:
        tracer_provider: Passed to `chanx_otel.setup` (default: the global provider).

    Returns:
        `prometheus_client`'s ASGI app, exposing the process's default registry.

    Raises:
        ImportError: the SDK or the Prometheus exporter is not installed (with the fix).
    """
    try:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from opentelemetry.sdk.metrics import MeterProvider
        from prometheus_client import make_asgi_app
    except ImportError as missing:
        raise ImportError(
            f"chanx_otel.prometheus needs the OpenTelemetry SDK and Prometheus exporter "
            f'({missing}); install them with pip install "chanx-otel[prometheus]".'
        ) from missing
    from chanx_otel.telemetry import setup

    setup(
        meter_provider=MeterProvider(metric_readers=[PrometheusMetricReader()]),
        tracer_provider=tracer_provider,
    )
    return make_asgi_app()
