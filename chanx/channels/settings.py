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
    "MAX_PENDING_FRAMES": 256,         # client frames waiting before the server stops reading
    "CHANX_DISABLED_PLUGINS": [],      # plugin switches, as the CHANX_* environment variables
}
```

``settings.CHANX`` is a source of the one settings store, `chanx.conf.settings`: every key is
a setting of that store, upper-cased, with the store's validator and precedence (an
``as_asgi()`` override > a consumer class attribute > ``chanx.configure()`` > ``CHANX`` > the
default). It is read again when it changes (``override_settings`` in tests); consumer classes
are never modified. Django's system checks report invalid values (ids ``chanx.E001``-``E003``).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

__all__ = ["PLUGIN_SWITCHES", "check_chanx_setting", "consumer_defaults"]


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
    """Setting name -> value for every valid key of ``settings.CHANX`` (lower-case names).

    Invalid or unknown entries are skipped here; the system checks report them.
    """
    from chanx import conf

    raw = security_mapping() or {}
    found: dict[str, Any] = {}
    for key, value in raw.items():
        name = str(key).lower()
        if key not in PLUGIN_SWITCHES and conf.check(name, value) is None:
            found[name] = tuple(value) if isinstance(value, list) else value
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
    known = sorted(
        {*PLUGIN_SWITCHES, *(name.upper() for name in conf.DEFAULTS.__dataclass_fields__)}
    )
    for key, value in raw.items():
        if key in PLUGIN_SWITCHES:
            continue
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(known)}."
            problems.append(("chanx.E002", f"settings.CHANX has an unknown key {key!r}.", hint))
            continue
        error = conf.check(key.lower(), value)
        if error is not None:
            problems.append(("chanx.E003", f"settings.CHANX[{key!r}]: {error}", _SETTINGS_HINT))
    return problems


_SETTINGS_HINT = "See the settings table in the chanx docs (docs/settings.md)."


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
