"""Loading the plugin imports no OpenTelemetry; the package's names still arrive on use."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.split()


def test_loading_the_plugin_module_imports_no_opentelemetry() -> None:
    code = (
        "import sys, chanx_otel.plugin\n"
        "print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'chanx_otel.'))))"
    )
    assert run(code) == ["['chanx_otel.plugin']"]


def test_the_package_names_are_the_submodules_objects() -> None:
    code = (
        "import sys, chanx_otel, chanx_otel.observer, chanx_otel.logs as l\n"
        "t = sys.modules['chanx_otel.telemetry']\n"
        "from chanx_otel import telemetry, setup, METRICS, Telemetry, OtelObserver, TRACE_KEY\n"
        "from chanx_otel import install_log_correlation\n"
        "print(telemetry is t.telemetry, setup is t.setup, METRICS is t.METRICS,\n"
        "      Telemetry is t.Telemetry, OtelObserver is chanx_otel.observer.OtelObserver,\n"
        "      TRACE_KEY == chanx_otel.observer.TRACE_KEY,\n"
        "      install_log_correlation is l.install_log_correlation)"
    )
    assert run(code) == ["True"] * 7


def test_telemetry_stays_the_function_when_its_submodule_loads_first() -> None:
    code = "import chanx_otel.telemetry, chanx_otel\nprint(callable(chanx_otel.telemetry))"
    assert run(code) == ["True"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    code = (
        "import chanx_otel\n"
        "try:\n    chanx_otel.nothing\nexcept AttributeError as exc:\n    print(type(exc).__name__)"
    )
    assert run(code) == ["AttributeError"]
