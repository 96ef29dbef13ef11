"""Shared fixtures for the kernel's and adapters' tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chanx.kernel import PluginHost, get_plugin_host, reset_plugin_host
from chanx.layers import reset_layers


@pytest.fixture(autouse=True)
def _fresh_layers() -> Iterator[None]:
    reset_layers()
    yield
    reset_layers()


@pytest.fixture
def plugin_host() -> Iterator[PluginHost]:
    """A freshly built plugin host, discarded after the test (register fakes on it)."""
    reset_plugin_host()
    yield get_plugin_host()
    reset_plugin_host()
