"""Plugin records and loading switches: what `chanx plugins` shows and what controls loading."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "PROBLEM_STATUSES",
    "PluginRecord",
    "PluginSettings",
    "PluginStatus",
    "normalize_name",
]

PluginStatus = Literal["builtin", "loaded", "broken", "disabled", "conflict"]
PROBLEM_STATUSES: frozenset[str] = frozenset({"broken", "conflict"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def _flag(value: object) -> bool:
    return value.strip().lower() in _TRUE if isinstance(value, str) else bool(value)


def normalize_name(name: str) -> str:
    """Normalize a plugin or distribution name for comparison (PEP 503 style)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


@dataclass(frozen=True, slots=True)
class PluginSettings:
    """The switches that control plugin loading.

    Attributes:
        autoload: load entry points of group `chanx` (`CHANX_DISABLE_PLUGIN_AUTOLOAD` unset).
        disabled: entry-point, builtin or distribution names to skip (`CHANX_DISABLED_PLUGINS`).
        strict: raise on a broken or conflicting plugin instead of recording it
            (`CHANX_STRICT_PLUGINS`).
        trace: log plugin loads and every hook call to `chanx.kernel` at DEBUG
            (`CHANX_TRACE_PLUGINS`).
    """

    autoload: bool = True
    disabled: frozenset[str] = frozenset()
    strict: bool = False
    trace: bool = False

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> PluginSettings:
        """Read the `CHANX_*` keys from `os.environ` or a settings mapping (e.g. Django's)."""
        raw = values.get("CHANX_DISABLED_PLUGINS")
        names: Iterable[object] = ()
        if isinstance(raw, str):
            names = raw.split(",")
        elif isinstance(raw, Iterable):
            names = raw
        return cls(
            autoload=not _flag(values.get("CHANX_DISABLE_PLUGIN_AUTOLOAD", "")),
            disabled=frozenset(normalize_name(str(n)) for n in names if str(n).strip()),
            strict=_flag(values.get("CHANX_STRICT_PLUGINS", "")),
            trace=_flag(values.get("CHANX_TRACE_PLUGINS", "")),
        )

    @classmethod
    def from_env(cls) -> PluginSettings:
        """Read the switches from the process environment."""
        return cls.from_mapping(os.environ)

    def is_disabled(self, *names: str | None) -> bool:
        """Whether any of `names` (plugin or distribution) is listed as disabled."""
        disabled = {normalize_name(n) for n in self.disabled}
        return any(n is not None and normalize_name(n) in disabled for n in names)


@dataclass(slots=True)
class PluginRecord:
    """What the host knows about one plugin.

    Attributes:
        name: entry-point name, builtin module path, or the name given to `register`.
        distribution: the distribution that ships it (`"chanx"` for builtins), if any.
        version: that distribution's version, if any.
        status: `builtin`, `loaded`, `broken` (failed to load or register), `disabled`, or
            `conflict` (it provides a name another plugin already provides).
        error: why it is broken or conflicting.
        provides: component kind -> names it registered, e.g. `{"layer": ["redis"]}`.
        hooks: names of the hooks it implements.
    """

    name: str
    distribution: str | None
    version: str | None
    status: PluginStatus
    error: str | None = None
    provides: dict[str, list[str]] = field(default_factory=dict)
    hooks: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`'layer-redis' (chanx-layer-redis 1.0.0)`, for messages."""
        if self.distribution is None:
            return repr(self.name)
        return f"{self.name!r} ({self.distribution} {self.version or '?'})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)
