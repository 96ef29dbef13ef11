"""The fixture application, its generated TypeScript client compiled with tsc, and Node."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chanx.asyncapi import build_api_model, get_emitter
from chanx.asyncapi.clients import write_files

FIXTURES = Path(__file__).resolve().parents[2] / "client_fixtures"
NODE_DIR = Path(__file__).parent / "node"
TSC = NODE_DIR / "node_modules" / ".bin" / "tsc"
PACKAGE = "fixture_client"
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


def _fixtures() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chanx_client_fixtures", FIXTURES / "__init__.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def uvicorn_process() -> Any:
    """`client_fixtures.start_uvicorn` and `free_port`: the fixture app in its own process."""
    return _fixtures()


@pytest.fixture(scope="session")
def fixture_app_module() -> ModuleType:
    """`client_fixtures/app.py`: the consumers the clients talk to."""
    module: ModuleType = _fixtures().load_app_module()
    return module


@pytest.fixture(scope="session")
def fixture_model(fixture_app_module: ModuleType) -> Any:
    """The API model of the fixture application."""
    return build_api_model(fixture_app_module.app, title="fixture", version="1.0.0")


@pytest.fixture(scope="session")
def generated_files(fixture_model: Any) -> dict[str, str]:
    """The TypeScript client of the fixture application, as files."""
    emitter: Any = get_emitter("typescript-client")
    files: dict[str, str] = emitter.files(fixture_model, package=PACKAGE)
    return files


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
