"""PluginHost: builtins, in-process registration, and the typed hook facade."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import chanx
from chanx.builtin import BUILTIN_PLUGINS
from chanx.kernel import (
    DuplicateComponentError,
    PluginError,
    PluginHost,
    PluginLoadError,
    PluginSettings,
    get_plugin_host,
    hookimpl,
    reset_plugin_host,
)

NO_AUTOLOAD = PluginSettings(autoload=False)


class Camel:
    name = "camel"

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        return data

    def outgoing(self, data: dict[str, Any]) -> dict[str, Any]:
        return data


class FormatterPlugin:
    @hookimpl
    def chanx_register_formatters(self, registry: Any) -> None:
        registry.add("camel", Camel)


class Recorder:
    """Observes every class- and connection-phase hook."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def chanx_validate_consumer(self, consumer_cls: type) -> None:
        self.calls.append(("validate", consumer_cls))

    @hookimpl
    def chanx_consumer_prepared(self, consumer_cls: type) -> None:
        self.calls.append(("prepared", consumer_cls))

    @hookimpl
    def chanx_connection_opened(self, consumer: Any) -> None:
        self.calls.append(("opened", consumer))

    @hookimpl
    def chanx_connection_closed(self, consumer: Any, code: int) -> None:
        self.calls.append(("closed", (consumer, code)))


def test_builtin_memory_layer_is_registered_by_name() -> None:
    from chanx.layers.memory import InMemoryChannelLayer

    host = PluginHost(NO_AUTOLOAD)
    assert host.layers.get("memory") is InMemoryChannelLayer
    assert host.layers.provider("memory") == "chanx.builtin.layers"
    record = host.plugins[0]
    assert record.to_dict() == {
        "name": "chanx.builtin.layers",
        "distribution": "chanx",
        "version": chanx.__version__,
        "status": "builtin",
        "error": None,
        "provides": {"layer": ["memory"]},
        "hooks": ["chanx_register_layers"],
    }


def test_get_plugin_host_builds_once_and_reset_rebuilds() -> None:
    host = get_plugin_host()
    assert get_plugin_host() is host
    reset_plugin_host(NO_AUTOLOAD)
    rebuilt = get_plugin_host()
    assert rebuilt is not host
    assert rebuilt.settings == NO_AUTOLOAD


def test_register_adds_the_plugins_components_with_their_provider() -> None:
    host = PluginHost(NO_AUTOLOAD)
    record = host.register(FormatterPlugin(), name="format-camel")
    assert host.formatters.get("camel") is Camel
    assert host.formatters.provider("camel") == "format-camel"
    assert record.status == "loaded"
    assert record.provides == {"formatter": ["camel"]}
    assert record.hooks == ["chanx_register_formatters"]
    assert host.plugins[-1] is record


def test_register_rolls_back_a_plugin_whose_registration_raises() -> None:
    class Half:
        @hookimpl
        def chanx_register_layers(self, registry: Any) -> None:
            registry.add("half", object)

        @hookimpl
        def chanx_register_formatters(self, registry: Any) -> None:
            raise RuntimeError("missing setting")

        @hookimpl
        def chanx_connection_opened(self, consumer: Any) -> None:
            raise AssertionError("a broken plugin must not observe connections")

    host = PluginHost(NO_AUTOLOAD)
    with pytest.raises(PluginLoadError) as caught:
        host.register(Half(), name="half")
    assert str(caught.value) == (
        "chanx plugin 'half' failed to load: RuntimeError: missing setting. "
        "Fix or uninstall it, or skip it with CHANX_DISABLED_PLUGINS=half."
    )
    assert "half" not in host.layers
    assert [r.name for r in host.plugins] == list(BUILTIN_PLUGINS)
    assert not host.has_connection_opened_observers
    host.register(FormatterPlugin(), name="half")  # the name is free again


def test_register_refuses_a_name_another_plugin_provides_and_keeps_the_first() -> None:
    class MemoryFork:
        @hookimpl
        def chanx_register_layers(self, registry: Any) -> None:
            registry.add("memory", dict)

    host = PluginHost(NO_AUTOLOAD)
    with pytest.raises(DuplicateComponentError) as caught:
        host.register(MemoryFork(), name="layer-memory-fork")
    assert str(caught.value) == (
        "two plugins provide a layer named 'memory': both 'chanx.builtin.layers' "
        f"(chanx {chanx.__version__}) and 'layer-memory-fork'. Uninstall one, or skip it "
        "with CHANX_DISABLED_PLUGINS=layer-memory-fork."
    )
    assert host.layers.providers("memory") == ("chanx.builtin.layers",)
    assert [r.name for r in host.plugins] == list(BUILTIN_PLUGINS)


def test_register_rejects_a_misspelt_hook_and_suggests_the_right_one() -> None:
    class Typo:
        @hookimpl
        def chanx_register_layer(self, registry: Any) -> None:
            raise AssertionError("never called")

    host = PluginHost(NO_AUTOLOAD)
    with pytest.raises(PluginLoadError, match="unknown hook 'chanx_register_layer'") as caught:
        host.register(Typo(), name="typo")
    assert "(did you mean 'chanx_register_layers'?)" in str(caught.value)
    host.register(FormatterPlugin(), name="typo")  # nothing of it stayed registered


def test_register_rejects_an_argument_the_hookspec_does_not_have() -> None:
    class BadArgs:
        @hookimpl
        def chanx_register_layers(self, registrar: Any) -> None:
            raise AssertionError("never called")

    host = PluginHost(NO_AUTOLOAD)
    with pytest.raises(PluginLoadError, match=r"Argument\(s\) \{'registrar'\} are declared"):
        host.register(BadArgs(), name="bad-args")


def test_register_refuses_a_taken_plugin_name() -> None:
    host = PluginHost(NO_AUTOLOAD)
    with pytest.raises(PluginLoadError, match=r"name is already used by 'chanx\.builtin\.layers'"):
        host.register(FormatterPlugin(), name="chanx.builtin.layers")


def test_validate_consumer_passes_the_class_and_lets_a_plugin_reject_it() -> None:
    class Strict:
        @hookimpl
        def chanx_validate_consumer(self, consumer_cls: type) -> None:
            if not consumer_cls.__name__.endswith("Consumer"):
                raise TypeError(f"{consumer_cls.__name__}: name it ...Consumer")

    class ChatConsumer:
        pass

    class Chat:
        pass

    host = PluginHost(NO_AUTOLOAD)
    recorder = Recorder()
    host.register(recorder, name="recorder")
    host.register(Strict(), name="strict")
    host.validate_consumer(ChatConsumer)
    assert recorder.calls == [("validate", ChatConsumer)]
    with pytest.raises(TypeError, match=r"Chat: name it \.\.\.Consumer"):
        host.validate_consumer(Chat)


def test_consumer_prepared_is_replayed_to_a_plugin_registered_later() -> None:
    class Early:
        pass

    class Late:
        pass

    host = PluginHost(NO_AUTOLOAD)
    host.consumer_prepared(Early)
    recorder = Recorder()
    host.register(recorder, name="docs")
    assert recorder.calls == [("prepared", Early)]
    host.consumer_prepared(Late)
    assert recorder.calls == [("prepared", Early), ("prepared", Late)]


def test_connection_observer_flags_are_false_until_a_plugin_implements_the_hook() -> None:
    class OpenedOnly:
        @hookimpl
        def chanx_connection_opened(self, consumer: Any) -> None:
            pass

    host = PluginHost(NO_AUTOLOAD)
    assert host.has_connection_opened_observers is False
    assert host.has_connection_closed_observers is False
    host.register(OpenedOnly(), name="opened-only")
    assert host.has_connection_opened_observers is True
    assert host.has_connection_closed_observers is False
    host.register(Recorder(), name="recorder")
    assert host.has_connection_closed_observers is True


def test_connection_hooks_pass_the_consumer_and_close_code() -> None:
    host = PluginHost(NO_AUTOLOAD)
    recorder = Recorder()
    host.register(recorder, name="recorder")
    consumer = object()
    host.connection_opened(consumer)
    host.connection_closed(consumer, 1001)
    assert recorder.calls == [("opened", consumer), ("closed", (consumer, 1001))]


class FailingObserver:
    @hookimpl
    def chanx_connection_closed(self, consumer: Any, code: int) -> None:
        raise RuntimeError("metrics backend down")


def test_a_failing_observer_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    host = PluginHost(NO_AUTOLOAD)
    host.register(FailingObserver(), name="metrics")
    with caplog.at_level(logging.ERROR, logger="chanx.kernel"):
        host.connection_closed(object(), 1000)
    [record] = caplog.records
    assert record.getMessage() == "a chanx plugin's chanx_connection_closed hook failed"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "metrics backend down"


def test_a_failing_observer_raises_in_strict_mode() -> None:
    host = PluginHost(PluginSettings(autoload=False, strict=True))
    host.register(FailingObserver(), name="metrics")
    with pytest.raises(RuntimeError, match="metrics backend down"):
        host.connection_closed(object(), 1000)


def builtins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **sources: str) -> None:
    """Make the host's builtin list the given modules (written to tmp_path) and the real one."""
    for name, source in sources.items():
        (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("chanx.builtin.BUILTIN_PLUGINS", ("chanx.builtin.layers", *sources))


def test_a_broken_builtin_is_recorded_and_the_rest_still_loads(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    builtins(monkeypatch, tmp_path, chanx_test_broken_builtin="raise ImportError('no yaml')\n")
    host = PluginHost(NO_AUTOLOAD)
    broken = host.plugins[1]
    assert (broken.name, broken.status) == ("chanx_test_broken_builtin", "broken")
    assert broken.error == "ImportError: no yaml"
    assert host.layers.names() == ["memory"]


def test_a_plugin_asking_for_the_host_while_it_is_built_gets_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = "from chanx.kernel import get_plugin_host\nget_plugin_host()\n"
    builtins(monkeypatch, tmp_path, chanx_test_reentrant_builtin=source)
    host = get_plugin_host()
    record = host.plugins[1]
    assert record.status == "broken"
    assert record.error is not None
    assert record.error.startswith(
        "PluginError: get_plugin_host() was called while plugins were loading"
    )


def test_a_failed_strict_build_raises_and_the_next_call_tries_again(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    builtins(monkeypatch, tmp_path, chanx_test_strict_builtin="raise ImportError('no yaml')\n")
    reset_plugin_host(PluginSettings(autoload=False, strict=True))
    for _ in range(2):
        with pytest.raises(PluginLoadError, match="'chanx_test_strict_builtin' from chanx"):
            get_plugin_host()
    assert isinstance(PluginLoadError("x", None, None, "e"), PluginError)


def test_settings_read_environment_strings_and_settings_values() -> None:
    env = PluginSettings.from_mapping(
        {
            "CHANX_DISABLE_PLUGIN_AUTOLOAD": "yes",
            "CHANX_DISABLED_PLUGINS": " layer-foo, Chanx_Layer.Bar ,,",
            "CHANX_STRICT_PLUGINS": "0",
            "CHANX_TRACE_PLUGINS": "TRUE",
        }
    )
    assert env == PluginSettings(
        autoload=False,
        disabled=frozenset({"layer-foo", "chanx-layer-bar"}),
        strict=False,
        trace=True,
    )
    assert env.is_disabled("chanx_layer_bar")
    assert not env.is_disabled("layer-baz", None)
    django = PluginSettings.from_mapping(
        {"CHANX_DISABLED_PLUGINS": ["layer-foo"], "CHANX_STRICT_PLUGINS": True}
    )
    assert django == PluginSettings(disabled=frozenset({"layer-foo"}), strict=True)
    assert PluginSettings.from_mapping({}) == PluginSettings()


class HtmlEmitter:
    name = "plain-html"
    media_type = "text/html"

    def emit(self, model: Any) -> str:
        return "<html></html>"


class EverythingPlugin:
    """Provides one component of every kind."""

    @hookimpl
    def chanx_register_authenticators(self, registry: Any) -> None:
        registry.add("anonymous", object)

    @hookimpl
    def chanx_register_layers(self, registry: Any) -> None:
        registry.add("null", object)

    @hookimpl
    def chanx_register_formatters(self, registry: Any) -> None:
        registry.add("camel", Camel)

    @hookimpl
    def chanx_register_doc_emitters(self, registry: Any) -> None:
        registry.add("plain-html", HtmlEmitter)


def test_each_registration_hook_fills_its_own_registry() -> None:
    host = PluginHost(NO_AUTOLOAD)
    record = host.register(EverythingPlugin(), name="everything")
    assert host.authenticators.get("anonymous") is object
    assert host.layers.get("null") is object
    assert host.formatters.get("camel") is Camel
    assert host.doc_emitters.get("plain-html") is HtmlEmitter
    assert record.provides == {
        "authenticator": ["anonymous"],
        "layer": ["null"],
        "formatter": ["camel"],
        "doc emitter": ["plain-html"],
    }
    assert [r.kind for r in (host.authenticators, host.doc_emitters)] == [
        "authenticator",
        "doc emitter",
    ]


def test_connection_hooks_make_no_hook_call_without_observers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = PluginHost(PluginSettings(autoload=False, trace=True))
    with caplog.at_level(logging.DEBUG, logger="chanx.kernel"):
        host.connection_opened(object())
        host.connection_closed(object(), 1000)
        assert caplog.records == []
        host.register(Recorder(), name="recorder")
        caplog.clear()
        host.connection_opened(object())
    assert any("chanx_connection_opened [hook]" in r.getMessage() for r in caplog.records)
