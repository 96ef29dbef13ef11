"""What the client-emitter plugins' tests share: the fixture app, its model, the generated files.

Each emitter plugin's `tests/conftest.py` imports the fixtures below and defines
`emitter_name`; its `test_generate.py` subclasses `GeneratedClientContract`. The fixture
application lives in `plugins/emitters/client_fixtures/` (loaded by path, not installed).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from importlib.resources import files as resource_files
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest

from chanx.asyncapi import build_api_model, get_emitter
from chanx.asyncapi.clients import ClientEmitter

__all__ = [
    "FIXTURES",
    "PACKAGE",
    "GeneratedClientContract",
    "fixture_app_module",
    "fixture_model",
    "generated_files",
    "uvicorn_process",
]

FIXTURES = Path(__file__).resolve().parents[1] / "plugins" / "emitters" / "client_fixtures"
PACKAGE = "fixture_client"
"""The package (directory) name the fixture clients are generated under."""


@functools.cache
def client_fixtures() -> ModuleType:
    """`plugins/emitters/client_fixtures`, imported by path as `chanx_client_fixtures`."""
    spec = importlib.util.spec_from_file_location("chanx_client_fixtures", FIXTURES / "__init__.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def uvicorn_process() -> Any:
    """`client_fixtures.start_uvicorn` and `free_port`: the fixture app in its own process."""
    return client_fixtures()


@pytest.fixture(scope="session")
def fixture_app_module() -> ModuleType:
    """`client_fixtures/app.py`: the consumers the clients talk to."""
    module: ModuleType = client_fixtures().load_app_module()
    return module


@pytest.fixture(scope="session")
def fixture_model(fixture_app_module: ModuleType) -> Any:
    """The API model of the fixture application."""
    return build_api_model(fixture_app_module.app, title="fixture", version="1.0.0")


@pytest.fixture(scope="session")
def generated_files(fixture_model: Any, emitter_name: str) -> dict[str, str]:
    """The client `emitter_name` generates for the fixture application, as files."""
    emitter: Any = get_emitter(emitter_name)
    files: dict[str, str] = emitter.files(fixture_model, package=PACKAGE)
    return files


class GeneratedClientContract:
    """Registration, snapshot and runtime checks every client emitter passes.

    A plugin's `test_generate.py` subclasses it, naming its emitter, the `--lang` value and
    its snapshot directory; `CHANX_UPDATE_SNAPSHOTS=1` rewrites the snapshots.
    """

    emitter_name: ClassVar[str]
    language: ClassVar[str]
    snapshots: ClassVar[Path]

    def test_the_emitter_is_registered_as_a_client_emitter(self) -> None:
        emitter = get_emitter(self.emitter_name)
        assert isinstance(emitter, ClientEmitter)
        assert (emitter.language, emitter.media_type) == (self.language, "application/zip")

    def test_generated_sources_match_the_snapshot(self, generated_files: dict[str, str]) -> None:
        """Fails when generated code changes; rerun with CHANX_UPDATE_SNAPSHOTS=1 to accept."""
        runtime = self._emitter().runtime_modules
        generated = {
            path: text
            for path, text in generated_files.items()
            if path.rpartition("/")[2] not in runtime
        }
        if os.environ.get("CHANX_UPDATE_SNAPSHOTS") == "1":
            for old in self.snapshots.rglob("*.snap"):
                old.unlink()
            for path, text in generated.items():
                target = self.snapshots / (path + ".snap")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
        stored = {
            str(p.relative_to(self.snapshots)).removesuffix(".snap"): p.read_text(encoding="utf-8")
            for p in self.snapshots.rglob("*.snap")
        }
        assert sorted(stored) == sorted(generated)
        for path, text in generated.items():
            assert stored[path] == text, f"{path} changed; CHANX_UPDATE_SNAPSHOTS=1 accepts it"

    def test_the_runtime_is_copied_verbatim(self, generated_files: dict[str, str]) -> None:
        emitter = self._emitter()
        runtime = resource_files(emitter.runtime_package)
        assert emitter.runtime_modules
        for name in emitter.runtime_modules:
            copied = generated_files[f"{PACKAGE}/{name}"]
            assert copied == runtime.joinpath(name).read_text(encoding="utf-8")

    def _emitter(self) -> Any:
        return get_emitter(self.emitter_name)
