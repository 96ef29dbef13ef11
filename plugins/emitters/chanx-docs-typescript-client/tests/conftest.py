"""The generated client compiled by tsc, Node and Chromium.

Shared fixtures (the fixture app, its model, the generated files): tests/client_emitters.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from chanx.asyncapi.clients import write_files
from tests.client_emitters import (
    PACKAGE,
    fixture_app_module,
    fixture_model,
    generated_files,
    uvicorn_process,
)

__all__ = ["fixture_app_module", "fixture_model", "generated_files", "uvicorn_process"]

NODE_DIR = Path(__file__).parent / "node"
TSC = NODE_DIR / "node_modules" / ".bin" / "tsc"
REQUIRED = os.environ.get("CHANX_REQUIRE_DOCS_TOOLS") == "1"
TSC_FLAGS = [
    "--strict",
    "--noUncheckedIndexedAccess",
    "--exactOptionalPropertyTypes",
    "--target",
    "ES2022",
    "--module",
    "ES2022",
    "--moduleResolution",
    "bundler",
    "--lib",
    "ES2022,DOM,DOM.Iterable,DOM.AsyncIterable",
]


def missing_tool(reason: str) -> None:
    """Skip, or fail when CI requires the tools (`CHANX_REQUIRE_DOCS_TOOLS=1`)."""
    if REQUIRED:
        pytest.fail(f"{reason} (CHANX_REQUIRE_DOCS_TOOLS=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def emitter_name() -> str:
    """The emitter under test."""
    return "typescript-client"


def tsc(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the pinned TypeScript compiler (skips, or fails in CI, when it is not installed)."""
    if not TSC.exists():
        missing_tool(f"the TypeScript compiler is not installed: npm ci --prefix {NODE_DIR}")
    return subprocess.run(
        [str(TSC), *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session")
def compiled(tmp_path_factory: pytest.TempPathFactory, generated_files: dict[str, str]) -> Path:
    """The generated client compiled to ES modules by `tsc --strict`: the directory of `.js`."""
    root = tmp_path_factory.mktemp("typescript-client")
    write_files(root / "src", generated_files)
    out = root / "js"
    sources = sorted((root / "src" / PACKAGE).glob("*.ts"))
    result = tsc(*TSC_FLAGS, "--outDir", out, *sources, cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    (out / "package.json").write_text(json.dumps({"type": "module"}))
    shutil.copy(NODE_DIR / "checks.js", out / "checks.js")
    return out


@pytest.fixture(scope="session")
def node() -> str:
    """The `node` executable (skips, or fails in CI, when there is none)."""
    found = shutil.which("node")
    if found is None:
        missing_tool("node is not installed")
    assert found is not None
    return found


@pytest.fixture(scope="session")
def tsc_runner() -> Any:
    """`tsc(*args, cwd=...)`: the pinned compiler."""
    return tsc


@pytest.fixture(scope="session")
def missing() -> Any:
    """`missing(reason)`: skip, or fail when CI requires the tools."""
    return missing_tool


@pytest.fixture(scope="session")
def browser() -> str:
    """Headless Chromium (skips, or fails in CI, when it is not installed)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    missing_tool("Chromium is not installed (apt-get install chromium)")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
def assert_checks() -> Any:
    """Asserts what `node/checks.js` reports, in Node and in Chromium alike."""
    return _assert_checks


def _assert_checks(results: dict[str, Any], token_sources: list[str]) -> None:
    """What `checks.js` must report, in Node and in Chromium."""
    line = {"user_name": "ann", "message": "hey"}
    point = {"xValue": 3, "yValue": 2.5, "labelText": "here"}
    expected = {
        "pong": "pong",
        "echo": "echo: hi",
        "handled": line,
        "iterated": line,
        "complete": "complete",
        "error": ["ServerError", "invalid_message"],
        "closed": [1000, 1],
        **{f"whoami_{source}": ["ann", 1] for source in token_sources},
        "camel": point,
        "packed": point,
        "joined": {"action": "user_joined", "payload": {"room": "lobby", "user": "ann"}},
        "sent": {
            "action": "message_sent",
            "payload": {"room": "lobby", "user": "ann", "text": "hello"},
        },
    }
    assert {key: results.get(key) for key in expected} == expected
    # Refused: either after accepting (close 4401/4404) or in the handshake (the browser and
    # Node report 1006 then); never a reconnect.
    assert results["refused"]["closeCode"] in (4401, 1006)
    assert results["refused"]["connections"] <= 1
    assert results["badRoom"]["closeCode"] in (4404, 1006)
    assert results["badRoom"]["connections"] <= 1
