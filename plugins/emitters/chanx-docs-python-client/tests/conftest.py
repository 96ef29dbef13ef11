"""The generated Python client package, on disk and imported.

Shared fixtures (the fixture app, its model, the generated files): tests/client_emitters.py.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

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


@pytest.fixture(scope="session")
def emitter_name() -> str:
    """The emitter under test."""
    return "python-client"


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
