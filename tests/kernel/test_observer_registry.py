"""`chanx_register_observers`: observers are components like any other, found by name."""

from __future__ import annotations

from typing import Any

import pytest

from chanx.kernel import PluginHost, PluginSettings, hookimpl
from chanx.kernel.errors import ComponentNotFoundError


class ObserverPlugin:
    @hookimpl
    def chanx_register_observers(self, registry: Any) -> None:
        registry.add("counting", lambda cls: ("observer for", cls))


def test_an_observer_plugin_fills_the_observer_registry() -> None:
    host = PluginHost(PluginSettings(autoload=False))
    record = host.register(ObserverPlugin(), name="observer-counting")
    assert record.provides == {"observer": ["counting"]}
    assert host.observers.get("counting")(int) == ("observer for", int)


def test_a_missing_first_party_observer_names_its_extra() -> None:
    host = PluginHost(PluginSettings(autoload=False))
    with pytest.raises(ComponentNotFoundError, match=r"chanx\[otel\]"):
        host.observers.get("otel", where="ChatConsumer.observers")
