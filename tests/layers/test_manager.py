from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from chanx.kernel.registry import ComponentRegistry
from chanx.layers import (
    InMemoryChannelLayer,
    InvalidLayerConfig,
    LayerNotConfigured,
    close_layers,
    configure_layers,
    get_channel_layer,
    manager,
    reset_layers,
)


class NeedsLoopToClose(InMemoryChannelLayer):
    """A layer whose close() suspends, like one holding network connections."""

    async def close(self) -> None:
        await asyncio.sleep(0)
        await super().close()


@pytest.fixture(autouse=True)
def fresh_manager() -> Iterator[None]:
    reset_layers()
    yield
    reset_layers()


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> ComponentRegistry[Any]:
    """Stand in for the plugin host with a registry of our own."""
    layers: ComponentRegistry[Any] = ComponentRegistry("layer")
    with layers.providing("test-plugin"):
        layers.add("memory", InMemoryChannelLayer)
        layers.add("loop-close", NeedsLoopToClose)
        layers.add("not-a-layer", dict)
    monkeypatch.setattr("chanx.kernel.get_plugin_host", lambda: SimpleNamespace(layers=layers))
    return layers


# --- defaults --------------------------------------------------------------------------------


def test_without_configuration_default_is_one_in_memory_layer() -> None:
    layer = get_channel_layer()
    assert isinstance(layer, InMemoryChannelLayer)
    assert get_channel_layer("default") is layer


def test_without_configuration_other_aliases_are_unknown() -> None:
    with pytest.raises(LayerNotConfigured, match=r"'events'.*Configured aliases: 'default'"):
        get_channel_layer("events")


# --- configure_layers ------------------------------------------------------------------------


def test_a_registered_backend_is_built_with_its_config(registry: ComponentRegistry[Any]) -> None:
    configure_layers(
        {
            "default": {"BACKEND": "memory", "CONFIG": {"capacity": 7}},
            "events": {"BACKEND": "memory"},
        }
    )
    default, events = get_channel_layer(), get_channel_layer("events")
    assert isinstance(default, InMemoryChannelLayer)
    assert default.capacity == 7
    assert events is not default
    assert events.capacity == 100


def test_a_dotted_path_backend_is_imported() -> None:
    configure_layers({"default": {"BACKEND": "chanx.layers.memory.InMemoryChannelLayer"}})
    assert isinstance(get_channel_layer(), InMemoryChannelLayer)


def test_an_unknown_alias_names_the_configured_ones(registry: ComponentRegistry[Any]) -> None:
    configure_layers({"chat": {"BACKEND": "memory"}, "events": {"BACKEND": "memory"}})
    expected = r"'default'.*Configured aliases: 'chat', 'events'"
    with pytest.raises(LayerNotConfigured, match=expected):
        get_channel_layer()


def test_an_unknown_backend_name_fails_at_configure_time_with_a_hint(
    registry: ComponentRegistry[Any],
) -> None:
    with pytest.raises(LookupError, match=r"alias 'default' BACKEND = 'memroy'.*'memory'\?"):
        configure_layers({"default": {"BACKEND": "memroy"}})


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("chanx.no_such_module.Layer", "cannot import module 'chanx.no_such_module'"),
        ("chanx.layers.memory.NoSuchLayer", "has no attribute 'NoSuchLayer'"),
    ],
)
def test_a_bad_dotted_path_fails_at_configure_time(path: str, match: str) -> None:
    with pytest.raises(InvalidLayerConfig, match=match):
        configure_layers({"default": {"BACKEND": path}})


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ([("default", {})], "expects a mapping"),
        ({"default": "memory"}, "expected a mapping like"),
        ({"default": {}}, "BACKEND must be a registered layer name"),
        ({"default": {"BACKEND": ""}}, "BACKEND must be"),
        ({"default": {"BACKEND": "memory", "OPTIONS": {}}}, r"unknown key\(s\) \['OPTIONS'\]"),
        ({"default": {"BACKEND": "memory", "CONFIG": [1]}}, "CONFIG must be a mapping"),
        ({"": {"BACKEND": "memory"}}, "non-empty str"),
    ],
)
def test_malformed_configuration_is_rejected(
    registry: ComponentRegistry[Any], config: Any, match: str
) -> None:
    with pytest.raises(InvalidLayerConfig, match=match):
        configure_layers(config)


def test_a_failed_configure_keeps_the_previous_configuration(
    registry: ComponentRegistry[Any],
) -> None:
    configure_layers({"events": {"BACKEND": "memory"}})
    with pytest.raises(InvalidLayerConfig):
        configure_layers({"events": {"BACKEND": "nope.Nope"}})
    assert isinstance(get_channel_layer("events"), InMemoryChannelLayer)


def test_bad_config_keywords_name_the_alias(registry: ComponentRegistry[Any]) -> None:
    configure_layers({"events": {"BACKEND": "memory", "CONFIG": {"capacty": 5}}})
    with pytest.raises(InvalidLayerConfig, match=r"alias 'events'.*rejected CONFIG \['capacty'\]"):
        get_channel_layer("events")


def test_a_backend_that_builds_something_else_is_rejected(
    registry: ComponentRegistry[Any],
) -> None:
    configure_layers({"default": {"BACKEND": "not-a-layer"}})
    with pytest.raises(InvalidLayerConfig, match=r"built a dict, which lacks the channel-layer"):
        get_channel_layer()


def test_a_protocol_conforming_layer_need_not_subclass_the_base(
    registry: ComponentRegistry[Any],
) -> None:
    class DuckLayer:
        extensions = ("groups",)

        def __init__(self, **config: Any) -> None:
            self.config = config

        async def new_channel(self, prefix: str = "specific.") -> str:
            return prefix + "1"

        async def send(self, channel: str, message: dict[str, Any]) -> None: ...

        async def receive(self, channel: str) -> dict[str, Any]:
            return {}

        async def group_add(self, group: str, channel: str) -> None: ...

        async def group_discard(self, group: str, channel: str) -> None: ...

        async def group_send(self, group: str, message: dict[str, Any]) -> None: ...

        async def flush(self) -> None: ...

        async def close(self) -> None: ...

    registry.add("duck", DuckLayer)
    configure_layers({"default": {"BACKEND": "duck", "CONFIG": {"x": 1}}})
    layer = get_channel_layer()
    assert isinstance(layer, DuckLayer)
    assert layer.config == {"x": 1}


# --- lifecycle -------------------------------------------------------------------------------


def test_reconfiguring_closes_and_forgets_built_layers(registry: ComponentRegistry[Any]) -> None:
    configure_layers({"default": {"BACKEND": "memory"}})
    old = get_channel_layer()
    assert isinstance(old, InMemoryChannelLayer)
    configure_layers({"default": {"BACKEND": "memory"}})
    assert old.closed
    assert get_channel_layer() is not old


async def test_reconfiguring_inside_a_loop_closes_in_the_background(
    registry: ComponentRegistry[Any],
) -> None:
    configure_layers({"default": {"BACKEND": "loop-close"}})
    old = get_channel_layer()
    assert isinstance(old, InMemoryChannelLayer)
    configure_layers({"default": {"BACKEND": "memory"}})
    await asyncio.gather(*manager._closing)
    assert old.closed


def test_a_layer_that_needs_a_loop_to_close_is_forgotten_with_a_warning(
    registry: ComponentRegistry[Any], caplog: pytest.LogCaptureFixture
) -> None:
    configure_layers({"default": {"BACKEND": "loop-close"}})
    get_channel_layer()
    with caplog.at_level(logging.WARNING, logger="chanx.layers"):
        reset_layers()
    assert "needs an event loop to close" in caplog.text
    assert "await close_layers()" in caplog.text


def test_reset_layers_forgets_the_configuration(registry: ComponentRegistry[Any]) -> None:
    configure_layers({"events": {"BACKEND": "memory"}})
    layer = get_channel_layer("events")
    reset_layers()
    assert isinstance(layer, InMemoryChannelLayer)
    assert layer.closed
    with pytest.raises(LayerNotConfigured):
        get_channel_layer("events")
    assert isinstance(get_channel_layer(), InMemoryChannelLayer)


async def test_close_layers_closes_built_layers_and_keeps_the_configuration(
    registry: ComponentRegistry[Any],
) -> None:
    configure_layers({"events": {"BACKEND": "loop-close", "CONFIG": {"capacity": 3}}})
    old = get_channel_layer("events")
    assert await close_layers() == 0  # the in-memory layer never leaves anything unsent
    assert isinstance(old, InMemoryChannelLayer)
    assert old.closed
    new = get_channel_layer("events")
    assert new is not old
    assert new.capacity == 3


async def test_the_default_layer_works_end_to_end() -> None:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    await layer.group_send("room", {"type": "chat.message", "text": "hi"})
    assert await layer.receive(channel) == {"type": "chat.message", "text": "hi"}
