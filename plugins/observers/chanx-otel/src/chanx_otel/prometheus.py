"""A Prometheus `/metrics` endpoint for chanx's metrics, in one call.

Needs `pip install "chanx-otel[prometheus]"` (the OpenTelemetry SDK and its Prometheus
exporter, which brings `prometheus_client`).
"""

from __future__ import annotations

from typing import Any

__all__ = ["MetricsApp", "metrics_app"]


class MetricsApp:
    """An ASGI app object (not a function), so Starlette's `Route` mounts it as an app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Serve one request with `prometheus_client`'s app."""
        await self.app(scope, receive, send)


def metrics_app(*, tracer_provider: Any = None) -> Any:
    """Record chanx's metrics to a Prometheus reader and return the ASGI app that serves them.

    Route `/metrics` to the result: `Route("/metrics", metrics_app())` (Starlette, FastAPI).

    Args:
        tracer_provider: Passed to `chanx_otel.setup` (default: the global provider).

    Returns:
        An ASGI app serving `prometheus_client`'s default registry (text format).

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
    return MetricsApp(make_asgi_app())
