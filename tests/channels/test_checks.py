"""System checks on ``CHANNEL_LAYERS`` entries (``chanx.E005``, ``chanx.E006``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

from chanx.channels.checks import check_channel_layer_backends


def _check(layers: dict[str, Any]) -> list[Any]:
    with override_settings(CHANNEL_LAYERS=layers):
        return check_channel_layer_backends()


@pytest.mark.parametrize(
    "backend",
    [
        "chanx.layers.InMemoryChannelLayer",
        "chanx.layers.memory.InMemoryChannelLayer",
        "channels.layers.InMemoryChannelLayer",
    ],
)
def test_importable_backends_with_their_own_options_pass(backend: str) -> None:
    config = {"capacity": 10, "expiry": 5, "group_expiry": 60, "channel_capacity": {"a*": 2}}
    assert _check({"default": {"BACKEND": backend, "CONFIG": config}}) == []


def test_a_chanx_layer_name_as_backend_points_at_its_import_path() -> None:
    (error,) = _check({"default": {"BACKEND": "memory"}})
    assert error.id == "chanx.E005"
    assert "CHANNEL_LAYERS['default']['BACKEND'] = 'memory' cannot be imported" in error.msg
    assert '"BACKEND": "chanx.layers.memory.InMemoryChannelLayer"' in error.hint


def test_a_backend_that_does_not_import_is_an_error_with_a_general_hint() -> None:
    (error,) = _check({"events": {"BACKEND": "myproject.nothing.Here"}})
    assert error.id == "chanx.E005"
    assert "CHANNEL_LAYERS['events']" in error.msg
    assert "dotted path of a channel layer class" in error.hint


def test_options_a_chanx_layer_does_not_take_are_named() -> None:
    config = {"capacity": 10, "hosts": ["redis://x"], "symmetric_encryption_keys": ["k"]}
    (error,) = _check(
        {"default": {"BACKEND": "chanx.layers.InMemoryChannelLayer", "CONFIG": config}}
    )
    assert error.id == "chanx.E006"
    assert "['hosts', 'symmetric_encryption_keys']" in error.msg
    assert "capacity" in error.hint
    assert "group_expiry" in error.hint


def test_other_layers_options_are_left_to_them() -> None:
    config = {"anything": 1}
    assert (
        _check({"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": config}})
        == []
    )


def test_the_check_is_registered_with_django() -> None:
    with override_settings(CHANNEL_LAYERS={"default": {"BACKEND": "redis"}}):
        ids = [message.id for message in run_checks(tags=["chanx"])]
    assert "chanx.E005" in ids
