"""`ComponentRegistry`: one per component kind, mapping names to factories and their providers.

Plugins fill registries from their registration hooks (`registry.add("redis", RedisLayer)`);
consumers look components up by name (`registry.get("redis", where="ChatConsumer.layer")`).
The registry remembers which plugin provided each name, so a clash between two plugins and a
missing name both produce an error that says who, what, and what to do.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from chanx.kernel.errors import ComponentNotFoundError, DuplicateComponentError, PluginError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "FIRST_PARTY",
    "ComponentRegistry",
    "FirstPartyComponent",
    "first_party_component",
]

T = TypeVar("T")

UNATTRIBUTED = "<unattributed>"


@dataclass(frozen=True, slots=True)
class FirstPartyComponent:
    """A component shipped by a first-party distribution that a root extra installs."""

    kind: str
    name: str
    distribution: str
    extra: str

    @property
    def install_command(self) -> str:
        """The pip command that installs it."""
        from chanx.kernel.install import install_hint

        return install_hint(self.extra)


# The one table of first-party plugin components (kind, name -> distribution, extra).
FIRST_PARTY: tuple[FirstPartyComponent, ...] = (
    FirstPartyComponent("authenticator", "drf", "chanx-auth-drf", "drf"),
    FirstPartyComponent("authenticator", "token", "chanx-auth-token", "token"),
    FirstPartyComponent("layer", "redis", "chanx-layer-redis", "redis"),
    FirstPartyComponent("formatter", "camelize", "chanx-format-camelize", "camelize"),
    FirstPartyComponent("formatter", "msgpack", "chanx-format-msgpack", "msgpack"),
    FirstPartyComponent("observer", "otel", "chanx-otel", "otel"),
    FirstPartyComponent(
        "doc emitter", "python-client", "chanx-docs-python-client", "python-client"
    ),
    FirstPartyComponent(
        "doc emitter", "typescript-client", "chanx-docs-typescript-client", "typescript-client"
    ),
)


def first_party_component(kind: str, name: str) -> FirstPartyComponent | None:
    """Return the first-party component of this kind and name, if there is one."""
    for component in FIRST_PARTY:
        if component.kind == kind and component.name == name:
            return component
    return None


@dataclass(slots=True)
class _Entry(Generic[T]):
    provider: str
    factory: T | str


class ComponentRegistry(Generic[T]):
    """Named factories of one component kind, each remembered with the plugin that added it.

    Args:
        kind: what the registry holds, singular and lower case (`"layer"`, `"doc emitter"`);
            used in error messages.
        describe: turns a provider name into a label for error messages (the host adds the
            distribution and version); defaults to the quoted name.
    """

    def __init__(self, kind: str, *, describe: Callable[[str], str] | None = None) -> None:
        self.kind = kind
        self._describe = describe or repr
        self._entries: dict[str, list[_Entry[T]]] = {}
        self._provider = UNATTRIBUTED
        self._unavailable: dict[str, str] = {}
        self._disabled: list[str] = []

    def __repr__(self) -> str:
        return f"<ComponentRegistry {self.kind}: {', '.join(self.names()) or 'empty'}>"

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @contextmanager
    def providing(self, provider: str) -> Iterator[None]:
        """Attribute every `add` inside the block to `provider` (the host wraps each plugin)."""
        previous, self._provider = self._provider, provider
        try:
            yield
        finally:
            self._provider = previous

    def add(self, name: str, factory: T | str) -> None:
        """Register `factory` under `name` on behalf of the current provider.

        A second plugin adding a name that another plugin already added does not replace it:
        both are kept, the host reports the clash, and `get(name)` refuses to choose.

        Args:
            name: the name users select the component by, e.g. `"redis"`.
            factory: the class or callable that builds the component, or its import path
                `"package.module:Attribute"`, imported on the first `get(name)`. A path keeps
                `chanx plugins` and start-up from importing heavy or settings-dependent code
                (a Django REST framework authenticator, say) that no consumer asked for.

        Raises:
            ValueError: `name` is not a non-empty string.
            DuplicateComponentError: the same plugin added `name` twice.
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"{self.kind} name must be a non-empty string, not {name!r}")
        entries = self._entries.setdefault(name, [])
        if any(entry.provider == self._provider for entry in entries):
            raise DuplicateComponentError(
                f"{self._describe(self._provider)} adds a {self.kind} named {name!r} twice.",
                kind=self.kind,
                name=name,
                providers=(self._provider, self._provider),
            )
        if isinstance(factory, str) and ":" not in factory:
            raise ValueError(
                f"{self.kind} {name!r}: an import path must look like 'package.module:Attribute', "
                f"not {factory!r}"
            )
        entries.append(_Entry(self._provider, factory))

    def get(self, name: str, *, where: str | None = None) -> T:
        """Return the factory registered under `name`.

        Args:
            name: the component name.
            where: the setting that asked for it, e.g. `"ChatConsumer.authenticator_class"`;
                prefixes the error message as `ChatConsumer.authenticator_class = 'jwtt': ...`.

        Raises:
            ComponentNotFoundError: no plugin provides `name`; the message lists what is
                available, suggests a close match, or says which extra installs it.
            DuplicateComponentError: more than one plugin provides `name`.
        """
        entry = self._only(name, where)
        if isinstance(entry.factory, str):
            entry.factory = self._import(name, entry)
        return entry.factory

    def _only(self, name: str, where: str | None) -> _Entry[T]:
        """The single entry of `name`; raise when there is none or more than one."""
        entries = self._entries.get(name)
        if not entries:
            raise ComponentNotFoundError(self._not_found(name, where), kind=self.kind, name=name)
        if len(entries) > 1:
            raise self.conflict(name, where=where)
        return entries[0]

    def _import(self, name: str, entry: _Entry[T]) -> T:
        """Import a factory registered by path (`"package.module:Attribute"`)."""
        path = str(entry.factory)
        module_name, _, attribute = path.partition(":")
        try:
            target: Any = import_module(module_name)
            for part in attribute.split("."):
                target = getattr(target, part)
        except Exception as exc:
            raise PluginError(
                f"{self._describe(entry.provider)} registered the {self.kind} {name!r} as "
                f"{path!r}, which failed to import: {type(exc).__name__}: {exc}"
            ) from exc
        return cast("T", target)

    def names(self) -> list[str]:
        """Every registered name, sorted (names provided by two plugins included)."""
        return sorted(self._entries)

    def items(self) -> list[tuple[str, T]]:
        """`(name, factory)` pairs, sorted by name, leaving out names provided twice."""
        return [(n, self.get(n)) for n, e in sorted(self._entries.items()) if len(e) == 1]

    def provider(self, name: str) -> str:
        """Return the name of the plugin that provided `name`.

        Raises:
            ComponentNotFoundError: nothing is registered under `name`.
            DuplicateComponentError: more than one plugin provides `name`.
        """
        return self._only(name, None).provider

    def providers(self, name: str) -> tuple[str, ...]:
        """Every plugin that provided `name`, in registration order (empty when unknown)."""
        return tuple(entry.provider for entry in self._entries.get(name, ()))

    def provided_by(self, provider: str) -> list[str]:
        """The names `provider` added, sorted."""
        return sorted(n for n, e in self._entries.items() if any(x.provider == provider for x in e))

    def conflicts(self) -> dict[str, tuple[str, ...]]:
        """Names provided by more than one plugin, mapped to those plugins."""
        return {n: self.providers(n) for n in sorted(self._entries) if len(self._entries[n]) > 1}

    def conflict(self, name: str, *, where: str | None = None) -> DuplicateComponentError:
        """Build the error for a name that several plugins provide (the caller raises it)."""
        providers = self.providers(name)
        labels = [self._describe(p) for p in providers]
        both = "both " if len(labels) == 2 else ""
        listed = ", ".join(labels[:-1]) + f" and {labels[-1]}"
        count = {2: "two", 3: "three"}.get(len(labels), str(len(labels)))
        prefix = f"{where} = {name!r}: " if where else ""
        return DuplicateComponentError(
            f"{prefix}{count} plugins provide a {self.kind} named {name!r}: {both}{listed}. "
            f"Uninstall one, or skip it with CHANX_DISABLED_PLUGINS={providers[-1]}.",
            kind=self.kind,
            name=name,
            providers=providers,
        )

    def discard_provider(self, provider: str) -> None:
        """Forget everything `provider` added (the host does this when a plugin breaks)."""
        for name in self.provided_by(provider):
            remaining = [e for e in self._entries[name] if e.provider != provider]
            if remaining:
                self._entries[name] = remaining
            else:
                del self._entries[name]

    def note_unavailable(self, name: str, reason: str) -> None:
        """Explain why `name` is missing (e.g. its plugin is broken) when someone asks for it."""
        self._unavailable[name] = reason

    def note_disabled(self, label: str) -> None:
        """Name a disabled plugin (which may provide a missing name) in not-found errors."""
        self._disabled.append(label)

    def _not_found(self, name: str, where: str | None) -> str:
        prefix = f"{where} = {name!r}: " if where else ""
        message = f"{prefix}no {self.kind} named {name!r}"
        if name in self._unavailable:
            return f"{message}: {self._unavailable[name]}. Run `chanx plugins`."
        known = first_party_component(self.kind, name)
        if known is not None:
            return (
                f"{message}: it is provided by the {known.distribution} distribution; "
                f"install it with {known.install_command}."
            )
        available = self.names()
        if available:
            message += f". Available: {', '.join(available)}."
        else:
            message += f". No {self.kind}s are registered."
        import difflib  # only for this message, never on a serving path

        close = difflib.get_close_matches(name, available, n=1)
        if close:
            message += f" Did you mean {close[0]!r}?"
        if self._disabled:
            message += f" CHANX_DISABLED_PLUGINS disables {', '.join(self._disabled)}."
        return f"{message} Run `chanx plugins`."
