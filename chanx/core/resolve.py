"""Resolving a consumer class's plugin choices (names or classes) through the kernel."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chanx import conf
from chanx.core.plan import ConsumerDefinitionError
from chanx.kernel.errors import ComponentNotFoundError

if TYPE_CHECKING:
    from chanx.kernel.contracts import Formatter
    from chanx.kernel.host import PluginHost

__all__ = ["resolve_authenticator", "resolve_formatters"]


def resolve_formatters(cls: type, host: PluginHost) -> tuple[Formatter, ...]:
    """Instantiate the formatters `cls` selected, in order (`camelize = True` comes first)."""
    names = list(getattr(cls, "formatters", ()) or ())
    if isinstance(getattr(cls, "formatters", ()), str):
        raise ConsumerDefinitionError(
            f"{cls.__qualname__}.formatters must be a sequence of names, e.g. ('camelize',), "
            f"not the string {cls.formatters!r}."  # type: ignore[attr-defined]
        )
    instances = []
    if conf.value_for(cls, "camelize") and "camelize" not in names:
        try:
            instances.append(host.formatters.get("camelize")())
        except ComponentNotFoundError as exc:
            raise ComponentNotFoundError(
                f"{cls.__name__}.camelize = True: {exc}", kind=exc.kind, name=exc.name
            ) from None
    for name in names:
        factory = host.formatters.get(name, where=f"{cls.__name__}.formatters")
        instances.append(factory())
    return tuple(instances)


def resolve_authenticator(cls: type, host: PluginHost) -> Any:
    """The authenticator class `cls` selected (looked up by name if it is a string)."""
    choice = getattr(cls, "authenticator_class", None)
    if choice is None:
        return None
    if isinstance(choice, str):
        choice = host.authenticators.get(choice, where=f"{cls.__name__}.authenticator_class")
    elif not callable(choice) or not hasattr(choice, "authenticate"):
        raise ConsumerDefinitionError(
            f"{cls.__qualname__}.authenticator_class = {choice!r}: expected a BaseAuthenticator "
            f"subclass or the name of a registered authenticator."
        )
    options = getattr(cls, "authenticator_options", None)
    return _configured(cls, choice, options) if options else choice


def _configured(cls: type, authenticator: Any, options: Mapping[str, Any]) -> Any:
    """A subclass of `authenticator` with `options` as class attributes (each must exist)."""
    for key in options:
        if key.startswith("_") or not hasattr(authenticator, key):
            raise ConsumerDefinitionError(
                f"{cls.__qualname__}.authenticator_options: {authenticator.__qualname__} has no "
                f"option {key!r}. Options are class attributes of the authenticator."
            )
    attributes = {"__module__": authenticator.__module__, **options}
    configured = type(authenticator.__name__, (authenticator,), attributes)
    configured.__qualname__ = f"{cls.__qualname__}.{authenticator.__name__}"
    return configured
