"""chanx's global settings: one framework-neutral store with safe defaults.

```python
import chanx

chanx.configure(allowed_origins=["https://app.example.com"], max_frame_bytes=256 * 1024)
```

Every consumer reads these once per connection. A consumer class attribute of the same
name (for example `max_frame_bytes = 64 * 1024`) wins over the global value; its default,
`None`, means "use the global setting". On Django, the `CHANX` settings dict feeds the same
store (upper-case keys: `"MAX_FRAME_BYTES"`, `"ALLOWED_ORIGINS"`, ...).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULTS",
    "Settings",
    "add_source",
    "configure",
    "refresh",
    "reset",
    "settings",
    "value_for",
]

MiB = 1024 * 1024


@dataclass
class Settings:
    """The global defaults. Read `chanx.conf.settings`; change with `chanx.configure()`.

    Attributes:
        allowed_origins: Origins accepted besides the page's own (same-origin is always
            allowed). Entries: `"https://example.com"`, `"https://*.example.com"`
            (subdomains only), `"http://localhost:3000"`, `"null"`, or `"*"` (accept any
            origin: turns the check off).
        allow_missing_origin: Accept a handshake without an `Origin` header. None decides
            by the authenticator: refused when it authenticates with cookies/session
            (`uses_cookies = True`), accepted for token-only or no authentication.
        max_frame_bytes: Largest client frame (UTF-8 bytes of a text frame); larger ones
            close the connection with 1009 before they are decoded.
        max_pending_frames: Client frames that may wait while a handler is busy; one more
            closes with 4429.
        send_timeout: Seconds one send to the client may stay blocked (a client that does
            not read) before the connection is aborted as a slow consumer (4499).
        rate_limit: Client frames per second a connection may sustain (token bucket), or
            None for no limit. Exceeding it closes with 4429.
        rate_burst: Bucket size: frames that may arrive at once (default: 2 x rate_limit,
            at least 1).
        auth_timeout: Seconds authentication, joining groups and `post_authentication`
            may take before the connection closes with 4408.
        max_connections_per_user: Open connections one authenticated user may hold per
            process, or None for no cap. One more closes with 4409.
        shutdown_grace: Seconds a running handler may take to finish at server shutdown.
        redact_server_logs: Attach chanx's redaction filter to uvicorn's and daphne's loggers
            at the first connection, so query-string secrets never reach their log lines.
        sensitive_params: Query parameter names whose values are redacted in log lines
            (substring match, case-insensitive).
        send_completion: Send a completion frame after each client frame, event and relay.
        send_message_immediately: Yield to the event loop after each `send_message()`.
        send_authentication_message: Send an `authentication` frame with the outcome.
        log_websocket_message: Log each frame's direction, action and size at INFO.
        log_ignored_actions: Actions never logged.
        camelize: Apply the camelize formatter (a plugin) to every consumer.
        discriminator_field: The field client frames route on.
    """

    allowed_origins: tuple[str, ...] = ()
    allow_missing_origin: bool | None = None
    max_frame_bytes: int = 1 * MiB
    max_pending_frames: int = 256
    send_timeout: float = 10.0
    rate_limit: float | None = None
    rate_burst: int | None = None
    auth_timeout: float = 10.0
    max_connections_per_user: int | None = None
    shutdown_grace: float = 5.0
    redact_server_logs: bool = True
    send_completion: bool = False
    send_message_immediately: bool = True
    send_authentication_message: bool = False
    log_websocket_message: bool = False
    log_ignored_actions: tuple[str, ...] = ()
    camelize: bool = False
    discriminator_field: str = "action"
    sensitive_params: tuple[str, ...] = field(
        default=(
            "token",
            "jwt",
            "auth",
            "key",
            "secret",
            "password",
            "passwd",
            "signature",
            "sig",
            "session",
            "ticket",
            "code",
            "credential",
        )
    )


DEFAULTS = Settings()
"""The shipped defaults (never mutated)."""

settings = Settings()
"""The live global settings."""

generation = 0
"""Bumped by every `configure()`/`reset()`, so caches can tell the settings changed."""

_NAMES = frozenset(f.name for f in dataclasses.fields(Settings))
_FLAGS = frozenset(
    {
        "redact_server_logs",
        "send_completion",
        "send_message_immediately",
        "send_authentication_message",
        "log_websocket_message",
        "camelize",
    }
)
_explicit: dict[str, Any] = {}
_sources: list[Callable[[], Mapping[str, Any] | None]] = []
_seen: list[object] = []


def add_source(source: Callable[[], Mapping[str, Any] | None]) -> None:
    """Register a framework's settings mapping (upper-case keys), read at each connection.

    The Django adapter registers ``settings.CHANX``. When the mapping object changes
    (``override_settings``), the settings are rebuilt: defaults, then every source, then
    the values passed to `configure()`. Invalid values in a source are skipped (the
    framework's own checks report them).
    """
    if source not in _sources:
        _sources.append(source)
        _seen.append(None)


def refresh() -> None:
    """Re-read the registered sources if one of them changed (cheap when none did)."""
    changed = False
    for index, source in enumerate(_sources):
        raw = source()
        if raw is not _seen[index]:
            _seen[index] = raw
            changed = True
    if changed:
        _rebuild()


def _rebuild() -> None:
    global generation
    for f in dataclasses.fields(Settings):
        setattr(settings, f.name, getattr(DEFAULTS, f.name))
    for raw in _seen:
        if isinstance(raw, Mapping):
            for key, value in raw.items():
                name = str(key).lower()
                if name in _NAMES:
                    with contextlib.suppress(TypeError, ValueError):  # invalid: keep the default
                        setattr(settings, name, _validate(name, value))
    for name, value in _explicit.items():
        setattr(settings, name, value)
    generation += 1


def configure(**overrides: Any) -> None:
    """Change global settings (validated; unknown names are an error).

    Args:
        **overrides: Setting name -> value, e.g. `max_frame_bytes=65536`.

    Raises:
        TypeError: An unknown setting name.
        ValueError: A value of the wrong kind or out of range.
    """
    global generation
    for name, value in overrides.items():
        value = _validate(name, value)
        _explicit[name] = value
        setattr(settings, name, value)
    generation += 1


def configure_from_mapping(raw: Mapping[str, Any]) -> None:
    """Apply the chanx keys of an upper-case mapping such as Django's `settings.CHANX`.

    Keys that are not settings here (consumer defaults, plugin switches) are ignored.
    """
    configure(**{k.lower(): v for k, v in raw.items() if k.lower() in _NAMES})


def value_for(owner: Any, name: str) -> Any:
    """Setting `name` as `owner` (a consumer class or instance) sees it.

    The one precedence, for every setting: an `as_asgi()` override (an instance attribute)
    > a class attribute (None means "not set") > `configure()` > a framework source such as
    Django's ``settings.CHANX`` > the default.
    """
    value = getattr(owner, name, None)
    return getattr(settings, name) if value is None else value


def reset() -> None:
    """Restore every setting to its default (for tests)."""
    _explicit.clear()
    _seen[:] = [None] * len(_seen)
    _rebuild()


def check(name: str, value: Any) -> str | None:
    """What is wrong with `value` for setting `name`, or None when it is valid."""
    try:
        _validate(name, value)
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


def _validate(name: str, value: Any) -> Any:
    if name not in _NAMES:
        import difflib

        close = difflib.get_close_matches(name, sorted(_NAMES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"chanx.configure(): unknown setting {name!r}.{hint}")
    if name in _FLAGS:
        if not isinstance(value, bool):
            raise ValueError(f"chanx setting {name} must be True or False, got {value!r}")
        return value
    if name == "discriminator_field":
        if not isinstance(value, str) or not value.isidentifier():
            raise ValueError(f"chanx setting {name} must be a field name, got {value!r}")
        return value
    if name == "log_ignored_actions":
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"chanx setting {name} must be a list of action names, got {value!r}")
        return tuple(value)
    if name in ("allowed_origins", "sensitive_params"):
        if isinstance(value, str) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"chanx setting {name} must be a list of strings, got {value!r}")
        if name == "allowed_origins":
            from chanx.core.origin import parse_allow_list

            parse_allow_list(value)  # raises ValueError naming the bad entry
        return tuple(value)
    if name in ("allow_missing_origin",):
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"chanx setting {name} must be True, False or None, got {value!r}")
        return value
    optional = name in ("rate_limit", "rate_burst", "max_connections_per_user")
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"chanx setting {name} must be a positive number, got {value!r}")
    if value <= 0:
        raise ValueError(f"chanx setting {name} must be positive, got {value!r}")
    integers = ("max_frame_bytes", "max_pending_frames", "rate_burst", "max_connections_per_user")
    if name in integers and not isinstance(value, int):
        raise ValueError(f"chanx setting {name} must be a positive int, got {value!r}")
    return value
