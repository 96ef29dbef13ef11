"""Shared fixtures of the generated-client plugins' tests (loaded by path, not installed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

__all__ = ["HERE", "load_app_module"]

HERE = Path(__file__).resolve().parent


def load_app_module() -> ModuleType:
    """Import `app.py` here as `chanx_client_fixture_app` (once per process)."""
    name = "chanx_client_fixture_app"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "app.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
