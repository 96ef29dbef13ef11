"""OpenTelemetry metrics and traces for chanx consumers.

Select it on a consumer class with `observers = ("otel",)`, or for every class with
`chanx.configure(observers=["otel"])` (Django: `CHANX = {"OBSERVERS": ["otel"]}`). It records
to the global OpenTelemetry providers unless `setup()` names others. The metric table is
`METRICS`; the guide is docs/observability.md.

The names below are imported on first access: chanx loads this package's plugin module in
every process that builds its plugin host, and a process that never selects `otel` should
not pay for importing OpenTelemetry.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_HOMES = {
    "install_log_correlation": "chanx_otel.logs",
    "TRACE_KEY": "chanx_otel.observer",
    "OtelObserver": "chanx_otel.observer",
    "METRICS": "chanx_otel.telemetry",
    "Telemetry": "chanx_otel.telemetry",
    "setup": "chanx_otel.telemetry",
    "telemetry": "chanx_otel.telemetry",
}


class _Package(types.ModuleType):
    """This package, keeping `chanx_otel.telemetry` the function the package exports.

    Importing the submodule `chanx_otel.telemetry` binds the submodule to the package
    attribute of the same name; here that binding takes the submodule's function instead.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "telemetry" and isinstance(value, types.ModuleType):
            value = value.telemetry
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chanx_otel' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
