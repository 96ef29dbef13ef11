"""One settings store, one precedence, for every setting (docs/settings.md).

as_asgi() override (instance attribute) > class attribute > chanx.configure() > a framework
source (Django's settings.CHANX) > the default.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from chanx import conf
from chanx.conf import value_for
from chanx.core.consumer import BaseConsumer
from chanx.core.process import state

# Four distinct valid values per setting: (source, configure, class, instance).
VALUES: dict[str, tuple[Any, Any, Any, Any]] = {
    "allowed_origins": (("https://a.test",), ("https://b.test",), ("https://c.test",), ("*",)),
    "allow_missing_origin": (True, False, True, False),
    "max_frame_bytes": (11, 12, 13, 14),
    "max_pending_frames": (21, 22, 23, 24),
    "send_timeout": (1.5, 2.5, 3.5, 4.5),
    "rate_limit": (5.0, 6.0, 7.0, 8.0),
    "rate_burst": (31, 32, 33, 34),
    "auth_timeout": (0.5, 0.6, 0.7, 0.8),
    "max_connections_per_user": (41, 42, 43, 44),
    "shutdown_grace": (1.0, 2.0, 3.0, 4.0),
    "redact_server_logs": (False, True, False, True),
    "sensitive_params": (("a",), ("b",), ("c",), ("d",)),
    "send_completion": (True, False, True, False),
    "send_message_immediately": (False, True, False, True),
    "send_authentication_message": (True, False, True, False),
    "log_websocket_message": (True, False, True, False),
    "log_ignored_actions": (("x",), ("y",), ("z",), ("w",)),
    "camelize": (True, False, True, False),
    "discriminator_field": ("kind", "type", "op", "verb"),
}
SOURCE: dict[str, Any] = {}


def _source() -> Mapping[str, Any] | None:
    return dict(SOURCE) if SOURCE else None  # a new mapping: the store re-reads it


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    conf.add_source(_source)
    SOURCE.clear()
    state.reset()
    yield
    SOURCE.clear()
    state.reset()


def test_every_setting_is_covered() -> None:
    assert set(VALUES) == {f.name for f in dataclasses.fields(conf.Settings)}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_each_level_wins_over_the_ones_below(name: str) -> None:
    source, configured, on_class, on_instance = VALUES[name]
    owner = type("Owner", (), {name: None})
    assert value_for(owner, name) == getattr(conf.DEFAULTS, name)
    SOURCE[name.upper()] = list(source) if isinstance(source, tuple) else source
    conf.refresh()
    assert value_for(owner, name) == source
    conf.configure(**{name: configured})
    assert value_for(owner, name) == configured
    conf.refresh()
    assert value_for(owner, name) == configured  # configure() still beats the source
    setattr(owner, name, on_class)
    assert value_for(owner, name) == on_class
    instance = owner()
    setattr(instance, name, on_instance)
    assert value_for(instance, name) == on_instance


def test_configure_beats_settings_chanx_for_both_kinds_of_setting() -> None:
    """The issue's example: CHANX 20 / 7 and configure(10, 3) give 10 and 3."""
    SOURCE.update({"MAX_PENDING_FRAMES": 20, "SEND_TIMEOUT": 7})
    conf.refresh()
    conf.configure(max_pending_frames=10, send_timeout=3)
    conf.refresh()
    pending = value_for(BaseConsumer, "max_pending_frames")
    assert (pending, value_for(BaseConsumer, "send_timeout")) == (10, 3)


def test_invalid_source_values_keep_the_default_and_configure_rejects_them() -> None:
    SOURCE.update({"SEND_COMPLETION": "yes", "DISCRIMINATOR_FIELD": "not a name"})
    conf.refresh()
    assert conf.settings.send_completion is False
    assert conf.settings.discriminator_field == "action"
    with pytest.raises(ValueError, match="True or False"):
        conf.configure(send_completion="yes")
    with pytest.raises(ValueError, match="action names"):
        conf.configure(log_ignored_actions="ping")
