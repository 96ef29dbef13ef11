"""Shared fixtures of the generated-client plugins' tests (loaded by path, not installed)."""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

__all__ = ["HERE", "free_port", "load_app_module", "start_uvicorn"]

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


def free_port() -> int:
    """A loopback port nothing listens on (for a server that is restarted on it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_uvicorn(port: int) -> subprocess.Popen[bytes]:
    """`app.py` on uvicorn in its own process, so a test can kill it outright (SIGKILL)."""
    command = [sys.executable, "-m", "uvicorn", "app:app", "--app-dir", str(HERE)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--ws", "websockets-sansio"]
    process = subprocess.Popen([*command, "--log-level", "warning"])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return process
        time.sleep(0.05)
    process.kill()
    raise AssertionError("uvicorn did not start")
