"""The ``CHANX`` Django setting: defaults for every Django consumer, and plugin switches.

```python
CHANX = {
    "SEND_COMPLETION": False,          # completion frames after each frame/event/relay
    "SEND_MESSAGE_IMMEDIATELY": True,  # yield to the loop after each send_message()
    "LOG_WEBSOCKET_MESSAGE": False,    # log direction, action and size of each frame
    "LOG_IGNORED_ACTIONS": [],         # actions never logged
    "CAMELIZE": False,                 # the camelize formatter (a plugin)
    "DISCRIMINATOR_FIELD": "action",   # the field frames route on
    "SEND_AUTHENTICATION_MESSAGE": False,
    "MAX_PENDING_FRAMES": 256,         # client frames waiting before close with 4429
    "CHANX_DISABLED_PLUGINS": [],      # plugin switches, as the CHANX_* environment variables
}
```

A consumer class attribute always wins over the setting. Values are read when a consumer
class is created and again when the setting changes (``override_settings`` in tests); they
are validated by Django's system checks (ids ``chanx.E001``-``chanx.E003``), never at import.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CONSUMER_DEFAULTS", "PLUGIN_SWITCHES", "check_chanx_setting", "consumer_defaults"]


def _is_bool(value: object) -> bool:
    return isinstance(value, bool)


def _is_names(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value)


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


CONSUMER_DEFAULTS: dict[str, tuple[str, Callable[[object], bool], str]] = {
    "SEND_COMPLETION": ("send_completion", _is_bool, "True or False"),
    "SEND_MESSAGE_IMMEDIATELY": ("send_message_immediately", _is_bool, "True or False"),
    "LOG_WEBSOCKET_MESSAGE": ("log_websocket_message", _is_bool, "True or False"),
    "LOG_IGNORED_ACTIONS": ("log_ignored_actions", _is_names, "a list of action names"),
    "CAMELIZE": ("camelize", _is_bool, "True or False"),
    "DISCRIMINATOR_FIELD": ("discriminator_field", _is_name, "a field name"),
    "SEND_AUTHENTICATION_MESSAGE": ("send_authentication_message", _is_bool, "True or False"),
    "MAX_PENDING_FRAMES": ("max_pending_frames", _is_positive_int, "a positive int"),
}
"""Setting key -> (consumer attribute, validator, what a valid value looks like)."""

PLUGIN_SWITCHES: frozenset[str] = frozenset(
    {
        "CHANX_DISABLE_PLUGIN_AUTOLOAD",
        "CHANX_DISABLED_PLUGINS",
        "CHANX_STRICT_PLUGINS",
        "CHANX_TRACE_PLUGINS",
    }
)
"""Keys read by `chanx.kernel.PluginSettings.from_mapping` (same as the environment's)."""


def consumer_defaults() -> dict[str, Any]:
    """Consumer attribute -> value for every valid key of ``settings.CHANX``.

    Invalid or unknown entries are skipped here; the system checks report them.
    """
    raw = security_mapping() or {}
    found: dict[str, Any] = {}
    for key, (attribute, valid, _) in CONSUMER_DEFAULTS.items():
        if key in raw and valid(raw[key]):
            value = raw[key]
            found[attribute] = tuple(value) if isinstance(value, list) else value
    return found


def plugin_switches() -> dict[str, Any]:
    """The plugin switches set in ``settings.CHANX`` (empty when there are none)."""
    raw = security_mapping() or {}
    return {key: raw[key] for key in PLUGIN_SWITCHES if key in raw}


def check_chanx_setting(raw: object) -> list[tuple[str, str, str]]:
    """Problems with a ``CHANX`` value, as (check id, message, hint) triples."""
    if not isinstance(raw, Mapping):
        return [
            (
                "chanx.E001",
                f"settings.CHANX must be a dict, not {type(raw).__name__}.",
                'Write CHANX = {"SEND_COMPLETION": False, ...}.',
            )
        ]
    from chanx import conf

    problems = []
    security = {name.upper() for name in conf.DEFAULTS.__dataclass_fields__}
    known = sorted({*CONSUMER_DEFAULTS, *PLUGIN_SWITCHES, *security})
    for key, value in raw.items():
        if key in PLUGIN_SWITCHES:
            continue
        if key in security and key not in CONSUMER_DEFAULTS:
            error = conf.check(key.lower(), value)
            if error is not None:
                problems.append(("chanx.E003", f"settings.CHANX[{key!r}]: {error}", _SECURITY))
            continue
        entry = CONSUMER_DEFAULTS.get(key)
        if entry is None:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(known)}."
            problems.append(("chanx.E002", f"settings.CHANX has an unknown key {key!r}.", hint))
        elif not entry[1](value):
            problems.append(
                (
                    "chanx.E003",
                    f"settings.CHANX[{key!r}] is {value!r}; expected {entry[2]}.",
                    f"It sets the default of the consumer attribute `{entry[0]}`.",
                )
            )
    return problems


_SECURITY = "See the Security page of the chanx docs for this setting."


def security_mapping() -> Mapping[str, Any] | None:
    """``settings.CHANX`` when it is a mapping (read by `chanx.conf` too), else None.

    None before Django is set up, without the setting, or when it is not a dict (the
    system checks report that).
    """
    from django.conf import settings

    if not settings.configured:
        return None
    raw = getattr(settings, "CHANX", None)
    return raw if isinstance(raw, Mapping) else None
