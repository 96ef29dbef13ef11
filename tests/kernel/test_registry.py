"""ComponentRegistry: names, providers, clashes and the messages users see."""

from __future__ import annotations

import pytest

from chanx.kernel import ComponentNotFoundError, ComponentRegistry, DuplicateComponentError
from chanx.kernel.install import install_hint
from chanx.kernel.registry import FIRST_PARTY, first_party_component


class TokenAuth:
    pass


class DrfAuth:
    pass


def authenticators() -> ComponentRegistry[type]:
    registry: ComponentRegistry[type] = ComponentRegistry("authenticator")
    with registry.providing("auth-token"):
        registry.add("token", TokenAuth)
    with registry.providing("auth-drf"):
        registry.add("drf", DrfAuth)
    return registry


def test_get_returns_the_factory_and_provider_names_the_plugin() -> None:
    registry = authenticators()
    assert registry.get("token") is TokenAuth
    assert registry.provider("token") == "auth-token"
    assert registry.providers("drf") == ("auth-drf",)
    assert registry.provided_by("auth-drf") == ["drf"]


def test_names_and_items_are_sorted() -> None:
    registry = authenticators()
    assert registry.names() == ["drf", "token"]
    assert registry.items() == [("drf", DrfAuth), ("token", TokenAuth)]
    assert "token" in registry
    assert len(registry) == 2


def test_unknown_name_lists_available_and_suggests_a_close_match() -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        authenticators().get("tokn", where="ChatConsumer.authenticator_class")
    assert str(caught.value) == (
        "ChatConsumer.authenticator_class = 'tokn': no authenticator named 'tokn'. "
        "Available: drf, token. Did you mean 'token'? Run `chanx plugins`."
    )
    assert isinstance(caught.value, LookupError)
    assert (caught.value.kind, caught.value.name) == ("authenticator", "tokn")


def test_unknown_name_without_close_match_has_no_suggestion_and_no_prefix() -> None:
    with pytest.raises(ComponentNotFoundError) as caught:
        authenticators().get("jwtt")
    assert str(caught.value) == (
        "no authenticator named 'jwtt'. Available: drf, token. Run `chanx plugins`."
    )


def test_unknown_name_in_an_empty_registry_says_none_are_registered() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("doc emitter")
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.get("html")
    assert str(caught.value) == (
        "no doc emitter named 'html'. No doc emitters are registered. Run `chanx plugins`."
    )


def test_missing_first_party_name_says_which_extra_installs_it() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("formatter")
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.get("camelize")
    assert str(caught.value) == (
        "no formatter named 'camelize': it is provided by the chanx-format-camelize "
        f"distribution; install it with {install_hint('camelize')}."
    )


def test_first_party_table_covers_the_documented_components() -> None:
    table = {(c.kind, c.name): (c.distribution, c.extra) for c in FIRST_PARTY}
    assert table == {
        ("formatter", "camelize"): ("chanx-format-camelize", "camelize"),
        ("formatter", "msgpack"): ("chanx-format-msgpack", "msgpack"),
        ("layer", "redis"): ("chanx-layer-redis", "redis"),
        ("authenticator", "drf"): ("chanx-auth-drf", "drf"),
        ("authenticator", "token"): ("chanx-auth-token", "token"),
        ("observer", "otel"): ("chanx-otel", "otel"),
        ("doc emitter", "python-client"): ("chanx-docs-python-client", "python-client"),
        ("doc emitter", "typescript-client"): (
            "chanx-docs-typescript-client",
            "typescript-client",
        ),
    }
    assert first_party_component("layer", "memory") is None


def test_noted_reason_replaces_the_generic_message() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("layer")
    registry.note_unavailable("redis", "it is provided by 'layer-redis', which failed to load")
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.get("redis")
    assert str(caught.value) == (
        "no layer named 'redis': it is provided by 'layer-redis', which failed to load. "
        "Run `chanx plugins`."
    )


def test_two_providers_of_one_name_make_it_ambiguous_and_get_names_both() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("layer")
    with registry.providing("layer-redis"):
        registry.add("redis", object)
    with registry.providing("layer-redis-fork"):
        registry.add("redis", dict)
    assert registry.conflicts() == {"redis": ("layer-redis", "layer-redis-fork")}
    assert registry.items() == []
    assert registry.names() == ["redis"]
    with pytest.raises(DuplicateComponentError) as caught:
        registry.get("redis", where="alias 'default' BACKEND")
    assert str(caught.value) == (
        "alias 'default' BACKEND = 'redis': two plugins provide a layer named 'redis': both "
        "'layer-redis' and 'layer-redis-fork'. Uninstall one, or skip it with "
        "CHANX_DISABLED_PLUGINS=layer-redis-fork."
    )
    assert caught.value.providers == ("layer-redis", "layer-redis-fork")
    with pytest.raises(DuplicateComponentError):
        registry.provider("redis")


def test_provider_labels_come_from_the_describe_callback() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("layer", describe=str.upper)
    for provider in ("a", "b", "c"):
        with registry.providing(provider):
            registry.add("x", object)
    assert "three plugins provide a layer named 'x': A, B and C." in str(registry.conflict("x"))


def test_the_same_plugin_adding_a_name_twice_fails_at_once() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("formatter")
    with registry.providing("format-x"):
        registry.add("x", object)
        with pytest.raises(DuplicateComponentError) as caught:
            registry.add("x", object)
    assert str(caught.value) == "'format-x' adds a formatter named 'x' twice."


@pytest.mark.parametrize("name", ["", None, 3])
def test_add_rejects_names_that_are_not_non_empty_strings(name: object) -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("layer")
    with pytest.raises(ValueError, match="layer name must be a non-empty string"):
        registry.add(name, object)  # type: ignore[arg-type]


def test_discard_provider_removes_only_that_plugins_names() -> None:
    registry = authenticators()
    with registry.providing("auth-other"):
        registry.add("token", object)
    registry.discard_provider("auth-other")
    assert registry.get("token") is TokenAuth
    registry.discard_provider("auth-drf")
    assert registry.names() == ["token"]


def test_adds_outside_a_providing_block_are_unattributed() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("layer")
    registry.add("x", object)
    assert registry.provider("x") == "<unattributed>"
    assert repr(registry) == "<ComponentRegistry layer: x>"


def test_a_factory_registered_by_path_is_imported_on_first_get_only() -> None:
    import sys

    registry: ComponentRegistry[object] = ComponentRegistry("layer")
    sys.modules.pop("json.tool", None)
    with registry.providing("plugin-a"):
        registry.add("lazy", "json.tool:main")
    assert "json.tool" not in sys.modules  # registering imported nothing
    assert registry.names() == ["lazy"]
    import json.tool

    assert registry.get("lazy") is json.tool.main
    assert registry.items() == [("lazy", json.tool.main)]


def test_a_path_that_fails_to_import_names_the_plugin_and_the_error() -> None:
    from chanx.kernel import PluginError

    registry: ComponentRegistry[object] = ComponentRegistry("authenticator")
    with registry.providing("plugin-a"):
        registry.add("gone", "chanx_no_such_module:Thing")
    with pytest.raises(PluginError, match=r"'gone' as 'chanx_no_such_module:Thing'.*No module"):
        registry.get("gone")


def test_a_path_without_an_attribute_is_rejected_at_add() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("layer")
    with pytest.raises(ValueError, match=r"package\.module:Attribute"):
        registry.add("bad", "just.a.module")


def test_a_missing_name_mentions_disabled_third_party_plugins() -> None:
    registry: ComponentRegistry[object] = ComponentRegistry("authenticator")
    registry.note_disabled("'auth-example' (chanx-auth-example 0.1.0)")
    with pytest.raises(ComponentNotFoundError) as caught:
        registry.get("example")
    assert "CHANX_DISABLED_PLUGINS disables 'auth-example' (chanx-auth-example 0.1.0)." in str(
        caught.value
    )
