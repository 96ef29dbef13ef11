"""The chanx plugin module: registers the `otel` observer (imported on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel import hookimpl

if TYPE_CHECKING:
    from chanx.kernel import ComponentRegistry
    from chanx.kernel.contracts import ObserverFactory


@hookimpl
def chanx_register_observers(registry: ComponentRegistry[ObserverFactory]) -> None:
    """Register `otel`: `observers = ("otel",)` on a consumer class selects it."""
    registry.add("otel", "chanx_otel.observer:OtelObserver")
