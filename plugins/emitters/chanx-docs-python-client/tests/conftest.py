"""The fixture application, its generated Python client package, and a live server."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chanx.asyncapi import build_api_model, get_emitter
from chanx.asyncapi.clients import write_files

FIXTURES = Path(__file__).resolve().parents[2] / "client_fixtures"
PACKAGE = "fixture_client"


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
    """The Python client package of the fixture application, as files."""
    files: dict[str, str] = get_emitter("python-client").files(fixture_model, package=PACKAGE)  # type: ignore[attr-defined]
    return files


@pytest.fixture(scope="session")
def generated_dir(
    tmp_path_factory: pytest.TempPathFactory, generated_files: dict[str, str]
) -> Path:
    """A directory holding the generated package."""
    directory = tmp_path_factory.mktemp("python-client")
    write_files(directory, generated_files)
    return directory


@pytest.fixture(scope="session")
def client(generated_dir: Path) -> Iterator[ModuleType]:
    """The generated package, imported."""
    sys.path.insert(0, str(generated_dir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(generated_dir))
