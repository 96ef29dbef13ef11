"""Errors raised by the plugin kernel."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "ComponentNotFoundError",
    "DuplicateComponentError",
    "PluginError",
    "PluginLoadError",
]


class PluginError(Exception):
    """Base class of every error the plugin kernel raises."""


class PluginLoadError(PluginError):
    """A plugin could not be loaded or registered (raised in strict mode and by `register`).

    Attributes:
        plugin: the plugin's name (entry-point name, or builtin module path).
        distribution: the distribution that ships it, if known.
        version: that distribution's version, if known.
        error: the underlying error as text.
    """

    def __init__(
        self, plugin: str, distribution: str | None, version: str | None, error: str
    ) -> None:
        self.plugin = plugin
        self.distribution = distribution
        self.version = version
        self.error = error
        origin = f" from {distribution} {version or '(unknown version)'}" if distribution else ""
        super().__init__(
            f"chanx plugin {plugin!r}{origin} failed to load: {error}. "
            f"Fix or uninstall it, or skip it with CHANX_DISABLED_PLUGINS={plugin}."
        )


class DuplicateComponentError(PluginError):
    """Two plugins registered a component of the same kind under the same name.

    Attributes:
        kind: the component kind, e.g. `"layer"`.
        name: the contested name.
        providers: the names of the plugins that provide it, in registration order.
    """

    def __init__(self, message: str, *, kind: str, name: str, providers: Sequence[str]) -> None:
        self.kind = kind
        self.name = name
        self.providers = tuple(providers)
        super().__init__(message)


class ComponentNotFoundError(PluginError, LookupError):
    """No plugin registered a component of the requested kind under the requested name."""

    def __init__(self, message: str, *, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        super().__init__(message)
