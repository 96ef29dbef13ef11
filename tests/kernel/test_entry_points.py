"""Entry-point plugins, discovered for real from `.dist-info` directories on sys.path."""

from __future__ import annotations

import importlib.metadata
import logging
import sys

import pytest

from chanx.builtin import BUILTIN_PLUGINS
from chanx.kernel import (
    DuplicateComponentError,
    PluginLoadError,
    get_plugin_host,
)

FOO_PLUGIN = """
from chanx.kernel import hookimpl


class FooLayer:
    def __init__(self, **config):
        self.config = config


@hookimpl
def chanx_register_layers(registry):
    registry.add("foo", FooLayer)
"""

MISSING_ERROR = "ModuleNotFoundError: No module named 'chanx_test_missing_dependency'"


def install_foo(fake_site, dist="chanx-layer-foo", version="1.2.3", ep="layer-foo") -> None:
    package = dist.replace("-", "_")
    fake_site.add(dist, version, {ep: f"{package}.plugin"}, {f"{package}.plugin": FOO_PLUGIN})


def record(name: str):
    return next(r for r in get_plugin_host().plugins if r.name == name)


def test_an_installed_distribution_is_discovered_and_registers_its_layer(fake_site) -> None:
    install_foo(fake_site)
    host = get_plugin_host()
    factory = host.layers.get("foo")
    assert factory.__module__ == "chanx_layer_foo.plugin"
    assert factory(capacity=10).config == {"capacity": 10}
    assert host.layers.provider("foo") == "layer-foo"
    assert record("layer-foo").to_dict() == {
        "name": "layer-foo",
        "distribution": "chanx-layer-foo",
        "version": "1.2.3",
        "status": "loaded",
        "error": None,
        "provides": {"layer": ["foo"]},
        "hooks": ["chanx_register_layers"],
    }


def test_a_broken_plugin_is_recorded_and_the_others_still_load(
    fake_site, caplog: pytest.LogCaptureFixture
) -> None:
    fake_site.add_broken()
    install_foo(fake_site)
    with caplog.at_level(logging.WARNING, logger="chanx.kernel"):
        host = get_plugin_host()
    broken = record("layer-broken")
    assert (broken.status, broken.error, broken.provides) == ("broken", MISSING_ERROR, {})
    assert (broken.distribution, broken.version) == ("chanx-layer-broken", "0.1.0")
    assert host.layers.names() == ["foo", "memory"]
    assert [r.getMessage() for r in caplog.records] == [
        f"chanx plugin 'layer-broken' (chanx-layer-broken 0.1.0) is broken: {MISSING_ERROR}"
    ]


def test_strict_mode_raises_naming_the_plugin_distribution_and_error(
    fake_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_site.add_broken()
    monkeypatch.setenv("CHANX_STRICT_PLUGINS", "1")
    with pytest.raises(PluginLoadError) as caught:
        get_plugin_host()
    assert str(caught.value) == (
        f"chanx plugin 'layer-broken' from chanx-layer-broken 0.1.0 failed to load: "
        f"{MISSING_ERROR}. Fix or uninstall it, or skip it with "
        "CHANX_DISABLED_PLUGINS=layer-broken."
    )
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_two_distributions_providing_one_name_conflict_and_get_names_both(fake_site) -> None:
    install_foo(fake_site)
    install_foo(fake_site, dist="chanx-layer-foo-fork", version="0.2.0", ep="layer-foo-fork")
    host = get_plugin_host()
    assert record("layer-foo").status == "loaded"
    fork = record("layer-foo-fork")
    message = (
        "two plugins provide a layer named 'foo': both 'layer-foo' (chanx-layer-foo 1.2.3) and "
        "'layer-foo-fork' (chanx-layer-foo-fork 0.2.0). Uninstall one, or skip it with "
        "CHANX_DISABLED_PLUGINS=layer-foo-fork."
    )
    assert (fork.status, fork.error, fork.provides) == ("conflict", message, {"layer": ["foo"]})
    with pytest.raises(DuplicateComponentError) as caught:
        host.layers.get("foo", where="alias 'default' BACKEND")
    assert str(caught.value) == f"alias 'default' BACKEND = 'foo': {message}"


def test_strict_mode_raises_on_a_conflict(fake_site, monkeypatch: pytest.MonkeyPatch) -> None:
    install_foo(fake_site)
    install_foo(fake_site, dist="chanx-layer-foo-fork", version="0.2.0", ep="layer-foo-fork")
    monkeypatch.setenv("CHANX_STRICT_PLUGINS", "true")
    with pytest.raises(DuplicateComponentError, match="two plugins provide a layer named 'foo'"):
        get_plugin_host()


def test_two_distributions_using_one_entry_point_name_conflict(fake_site) -> None:
    install_foo(fake_site)
    install_foo(fake_site, dist="chanx-layer-foo-fork", version="0.2.0", ep="layer-foo")
    records = [r for r in get_plugin_host().plugins if r.name == "layer-foo"]
    assert [(r.distribution, r.status) for r in records] == [
        ("chanx-layer-foo", "loaded"),
        ("chanx-layer-foo-fork", "conflict"),
    ]
    taken = "the plugin name is already used by 'layer-foo' (chanx-layer-foo 1.2.3)"
    assert records[1].error == taken


@pytest.mark.parametrize("disabled", ["layer-foo", "chanx_layer_foo", "other, Chanx-Layer-Foo"])
def test_disabled_plugins_are_skipped_by_entry_point_or_distribution_name(
    fake_site, monkeypatch: pytest.MonkeyPatch, disabled: str
) -> None:
    install_foo(fake_site)
    monkeypatch.setenv("CHANX_DISABLED_PLUGINS", disabled)
    host = get_plugin_host()
    assert record("layer-foo").status == "disabled"
    assert "foo" not in host.layers
    assert "chanx_layer_foo.plugin" not in sys.modules


def test_disabling_autoload_skips_the_entry_point_scan(
    fake_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_foo(fake_site)
    monkeypatch.setenv("CHANX_DISABLE_PLUGIN_AUTOLOAD", "1")

    def no_scan(**kwargs: object) -> None:
        raise AssertionError("entry points were scanned")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    host = get_plugin_host()
    assert [r.name for r in host.plugins] == list(BUILTIN_PLUGINS)
    assert host.layers.names() == ["memory"]


def test_tracing_logs_each_load_and_hook_call(
    fake_site, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    install_foo(fake_site)
    monkeypatch.setenv("CHANX_TRACE_PLUGINS", "1")
    with caplog.at_level(logging.DEBUG, logger="chanx.kernel"):
        get_plugin_host()
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert (
        "loaded chanx plugin 'layer-foo' (chanx-layer-foo 1.2.3): hooks chanx_register_layers"
        in messages
    )
    assert any(m.strip().startswith("chanx_register_layers [hook]") for m in messages)


def test_without_tracing_nothing_is_logged_at_debug(
    fake_site, caplog: pytest.LogCaptureFixture
) -> None:
    install_foo(fake_site)
    with caplog.at_level(logging.DEBUG, logger="chanx.kernel"):
        get_plugin_host()
    assert caplog.records == []


def test_a_broken_first_party_plugin_explains_the_missing_name(fake_site) -> None:
    fake_site.add_broken(dist="chanx-layer-redis", ep="layer-redis")
    with pytest.raises(LookupError) as caught:
        get_plugin_host().layers.get("redis")
    assert str(caught.value) == (
        "no layer named 'redis': it is provided by 'layer-redis' (chanx-layer-redis 0.1.0), "
        f"which failed to load ({MISSING_ERROR}). Run `chanx plugins`."
    )


def test_a_disabled_first_party_plugin_explains_the_missing_name(
    fake_site, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_foo(fake_site, dist="chanx-format-camelize", version="1.0.0", ep="format-camelize")
    monkeypatch.setenv("CHANX_DISABLED_PLUGINS", "format-camelize")
    with pytest.raises(LookupError) as caught:
        get_plugin_host().formatters.get("camelize", where="ChatConsumer.formatters")
    assert str(caught.value) == (
        "ChatConsumer.formatters = 'camelize': no formatter named 'camelize': it is provided by "
        "'format-camelize' (chanx-format-camelize 1.0.0), which CHANX_DISABLED_PLUGINS disables. "
        "Run `chanx plugins`."
    )


def test_a_misspelt_hook_in_an_installed_plugin_marks_it_broken(fake_site) -> None:
    source = FOO_PLUGIN.replace("def chanx_register_layers", "def chanx_register_layer")
    fake_site.add(
        "chanx-layer-typo",
        "1.0",
        {"layer-typo": "chanx_layer_typo"},
        {"chanx_layer_typo.__init__": source},
    )
    typo = record("layer-typo")
    assert typo.status == "broken"
    assert typo.error == (
        "PluginError: unknown hook 'chanx_register_layer' (did you mean 'chanx_register_layers'?)"
    )
    assert "foo" not in get_plugin_host().layers


def test_a_plugin_whose_registration_raises_is_broken_and_rolled_back(fake_site) -> None:
    source = """
    from chanx.kernel import hookimpl

    @hookimpl
    def chanx_register_layers(registry):
        registry.add("half", object)

    @hookimpl
    def chanx_register_formatters(registry):
        raise RuntimeError("REDIS_URL is not set")

    @hookimpl
    def chanx_connection_opened(consumer):
        pass
    """
    fake_site.add(
        "chanx-layer-half",
        "1.0",
        {"layer-half": "chanx_layer_half"},
        {"chanx_layer_half.__init__": source},
    )
    host = get_plugin_host()
    half = record("layer-half")
    assert (half.status, half.error) == ("broken", "RuntimeError: REDIS_URL is not set")
    assert "half" not in host.layers
    assert host.has_connection_opened_observers is False
