"""`PluginHost`: builds the plugin manager once, records every plugin, and calls the hooks.

This is the only module that touches `pm.hook`. Everything else asks the host through one
typed method per hook (`validate_consumer`, `consumer_prepared`, `connection_opened`,
`connection_closed`) or reads its registries (`layers`, `formatters`, ...).
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
from typing import TYPE_CHECKING, Any

import pluggy

from chanx.kernel import hookspecs
from chanx.kernel.errors import PluginError, PluginLoadError
from chanx.kernel.records import PluginRecord, PluginSettings, PluginStatus, normalize_name
from chanx.kernel.registry import FIRST_PARTY, ComponentRegistry

if TYPE_CHECKING:
    from collections.abc import Callable
    from importlib.metadata import EntryPoint

    from chanx.kernel.contracts import (
        AuthenticatorFactory,
        DocEmitterFactory,
        FormatterFactory,
        LayerFactory,
        ObserverFactory,
    )

__all__ = ["PluginHost", "get_plugin_host", "reset_plugin_host"]

logger = logging.getLogger("chanx.kernel")

ENTRY_POINT_GROUP = "chanx"

REGISTRATION_HOOKS: dict[str, str] = {
    "chanx_register_authenticators": "authenticators",
    "chanx_register_layers": "layers",
    "chanx_register_formatters": "formatters",
    "chanx_register_doc_emitters": "doc_emitters",
    "chanx_register_observers": "observers",
}
"""Each registration hook, mapped to the `PluginHost` registry attribute it fills."""


def _describe_exception(exc: BaseException) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())


class PluginHost:
    """The process's plugin manager, its plugin records, component registries and hook facade.

    Building it registers the builtin plugins, loads the `chanx` entry points one by one
    (recording failures instead of raising, unless strict), rejects unknown hook names, and
    runs each plugin's registration hooks on their own so every component's provider is known.
    Use `get_plugin_host()` rather than building one per use: the entry-point scan costs
    tens of milliseconds.

    Args:
        settings: loading switches; read from the environment when omitted.

    Raises:
        PluginLoadError: in strict mode, a plugin failed to load or register.
        DuplicateComponentError: in strict mode, two plugins provide the same name.
    """

    def __init__(self, settings: PluginSettings | None = None) -> None:
        self.settings = settings if settings is not None else PluginSettings.from_env()
        self._pm = pluggy.PluginManager("chanx")
        self._pm.add_hookspecs(hookspecs)
        self._records: list[PluginRecord] = []
        self.authenticators: ComponentRegistry[AuthenticatorFactory] = ComponentRegistry(
            "authenticator", describe=self._describe
        )
        self.layers: ComponentRegistry[LayerFactory] = ComponentRegistry(
            "layer", describe=self._describe
        )
        self.formatters: ComponentRegistry[FormatterFactory] = ComponentRegistry(
            "formatter", describe=self._describe
        )
        self.doc_emitters: ComponentRegistry[DocEmitterFactory] = ComponentRegistry(
            "doc emitter", describe=self._describe
        )
        self.observers: ComponentRegistry[ObserverFactory] = ComponentRegistry(
            "observer", describe=self._describe
        )
        self._registries: dict[str, ComponentRegistry[Any]] = {
            hook: getattr(self, attribute) for hook, attribute in REGISTRATION_HOOKS.items()
        }
        self._opened_observed = False
        self._closed_observed = False
        if self.settings.trace:
            self._pm.trace.root.setwriter(lambda message: logger.debug("%s", message.rstrip()))
            self._pm.enable_tracing()
        self._build()

    # -- typed hook facade ---------------------------------------------------------------------

    def validate_consumer(self, consumer_cls: type[Any]) -> None:
        """Run `chanx_validate_consumer`; an implementation's exception propagates."""
        self._pm.hook.chanx_validate_consumer(consumer_cls=consumer_cls)

    def consumer_prepared(self, consumer_cls: type[Any]) -> None:
        """Run the historic `chanx_consumer_prepared` (replayed to plugins registered later)."""
        self._pm.hook.chanx_consumer_prepared.call_historic(kwargs={"consumer_cls": consumer_cls})

    def connection_opened(self, consumer: Any) -> None:
        """Run `chanx_connection_opened` if anyone observes it; errors are logged, not raised."""
        if self._opened_observed:
            self._observe(self._pm.hook.chanx_connection_opened, consumer=consumer)

    def connection_closed(self, consumer: Any, code: int) -> None:
        """Run `chanx_connection_closed` if anyone observes it; errors are logged, not raised."""
        if self._closed_observed:
            self._observe(self._pm.hook.chanx_connection_closed, consumer=consumer, code=code)

    @property
    def has_connection_opened_observers(self) -> bool:
        """Whether some plugin implements `chanx_connection_opened` (else skip the call)."""
        return self._opened_observed

    @property
    def has_connection_closed_observers(self) -> bool:
        """Whether some plugin implements `chanx_connection_closed` (else skip the call)."""
        return self._closed_observed

    @property
    def plugins(self) -> list[PluginRecord]:
        """Every plugin seen, builtins first, then entry points by name, then `register` calls."""
        return list(self._records)

    def register(self, plugin: object, name: str | None = None) -> PluginRecord:
        """Register an in-process plugin (a module, class or instance with hookimpls).

        Its registration hooks run at once, so its components are available on return, and
        historic hooks are replayed to it. Unlike build-time loading this is always strict:
        on any failure the plugin is left unregistered and the error raised.

        Args:
            plugin: the object holding `@hookimpl` functions.
            name: the plugin's name; defaults to pluggy's canonical name for the object.

        Returns:
            The plugin's record.

        Raises:
            PluginLoadError: the name is taken, a hook is unknown or mistyped, or its
                registration hooks raised.
            DuplicateComponentError: it provides a name another plugin already provides.
        """
        plugin_name = name or self._pm.get_canonical_name(plugin)
        if self._pm.has_plugin(plugin_name):
            used_by = self._describe(plugin_name)
            raise PluginLoadError(plugin_name, None, None, f"the name is already used by {used_by}")
        try:
            self._register_plugin(plugin, plugin_name)
        except Exception as exc:
            if self._pm.is_registered(plugin):
                self._pm.unregister(plugin)
            raise PluginLoadError(plugin_name, None, None, _describe_exception(exc)) from exc
        record = PluginRecord(plugin_name, None, None, "loaded", hooks=self._hook_names(plugin))
        self._records.append(record)
        try:
            self._register_components(record, plugin, strict=True)
        except Exception:
            self._records.remove(record)
            raise
        self._finish()
        return record

    # -- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        from chanx import __version__
        from chanx.builtin import BUILTIN_PLUGINS

        for dotted in BUILTIN_PLUGINS:
            record = PluginRecord(dotted, "chanx", __version__, "builtin")
            self._load(record, functools.partial(importlib.import_module, dotted))
        if self.settings.autoload:
            for ep in _entry_points():
                dist = ep.dist
                record = PluginRecord(
                    ep.name, dist.name if dist else None, dist.version if dist else None, "loaded"
                )
                self._load(record, ep.load)
        self._pm.check_pending()
        for record in self._records:
            plugin = self._pm.get_plugin(record.name)
            if record.status in ("builtin", "loaded") and plugin is not None:
                self._register_components(record, plugin, strict=self.settings.strict)
        for record in self._records:
            if record.status in ("broken", "disabled"):
                self._note_unavailable(record)
        self._finish()

    def _load(self, record: PluginRecord, load: Callable[[], object]) -> None:
        self._records.append(record)
        if self.settings.is_disabled(record.name, record.distribution):
            record.status = "disabled"
            if self.settings.trace:
                logger.debug("skipped disabled chanx plugin %s", record.label)
            return
        if self._pm.has_plugin(record.name):
            used_by = self._describe(record.name)
            self._fail(record, "conflict", f"the plugin name is already used by {used_by}")
            return
        try:
            plugin = load()
            self._register_plugin(plugin, record.name)
        except Exception as exc:
            self._fail(record, "broken", _describe_exception(exc), exc)
            return
        record.hooks = self._hook_names(plugin)
        if self.settings.trace:
            logger.debug("loaded chanx plugin %s: hooks %s", record.label, ", ".join(record.hooks))

    def _register_plugin(self, plugin: object, name: str) -> None:
        """Register with pluggy, then reject hook names that match no hookspec (typos)."""
        self._pm.register(plugin, name=name)
        unknown = sorted(
            caller.name
            for caller in self._pm.get_hookcallers(plugin) or ()
            if not caller.has_spec()
            and any(i.plugin is plugin and not i.optionalhook for i in caller.get_hookimpls())
        )
        if unknown:
            self._pm.unregister(plugin)
            known = [n for n in dir(hookspecs) if n.startswith("chanx_")]
            hints = [
                f"{n!r}" + "".join(f" (did you mean {m!r}?)" for m in _close(n, known))
                for n in unknown
            ]
            raise PluginError(f"unknown hook {', '.join(hints)}")

    def _register_components(self, record: PluginRecord, plugin: object, *, strict: bool) -> None:
        """Run this plugin's registration hooks alone, attributing what it adds to it."""
        others = [p for p in self._pm.get_plugins() if p is not plugin]
        try:
            for hook_name, registry in self._registries.items():
                caller = self._pm.subset_hook_caller(hook_name, others)
                if caller.get_hookimpls():
                    with registry.providing(record.name):
                        caller(registry=registry)
        except Exception as exc:
            self._withdraw(plugin, record.name)
            self._fail(record, "broken", _describe_exception(exc), exc, strict=strict)
            return
        clashes = [
            registry.conflict(name)
            for registry in self._registries.values()
            for name in registry.provided_by(record.name)
            if registry.providers(name)[0] != record.name
        ]
        if clashes:
            record.status = "conflict"
            record.error = " ".join(str(clash) for clash in clashes)
            if strict:
                self._withdraw(plugin, record.name)
                raise clashes[0]
            logger.warning("chanx plugin %s conflicts: %s", record.label, record.error)

    def _fail(
        self,
        record: PluginRecord,
        status: PluginStatus,
        error: str,
        exc: BaseException | None = None,
        *,
        strict: bool | None = None,
    ) -> None:
        record.status, record.error = status, error
        if self.settings.strict if strict is None else strict:
            raise PluginLoadError(record.name, record.distribution, record.version, error) from exc
        logger.warning(
            "chanx plugin %s is %s: %s",
            record.label,
            status,
            error,
            extra={"plugin": record.name, "distribution": record.distribution},
        )

    def _withdraw(self, plugin: object, name: str) -> None:
        for registry in self._registries.values():
            registry.discard_provider(name)
        if self._pm.is_registered(plugin):
            self._pm.unregister(plugin)

    def _finish(self) -> None:
        """Fill in what each plugin provides and cache the observer flags."""
        for record in self._records:
            if record.status in ("broken", "disabled"):
                continue
            record.provides = {
                registry.kind: names
                for registry in self._registries.values()
                if (names := registry.provided_by(record.name))
            }
        hook = self._pm.hook
        self._opened_observed = bool(hook.chanx_connection_opened.get_hookimpls())
        self._closed_observed = bool(hook.chanx_connection_closed.get_hookimpls())

    def _note_unavailable(self, record: PluginRecord) -> None:
        """Explain in not-found errors the first-party names a broken or disabled plugin hides."""
        if record.distribution is None:
            return
        if record.status == "disabled":
            reason = f"it is provided by {record.label}, which CHANX_DISABLED_PLUGINS disables"
            for registry in self._registries.values():
                registry.note_disabled(record.label)
        else:
            reason = f"it is provided by {record.label}, which failed to load ({record.error})"
        registries = {registry.kind: registry for registry in self._registries.values()}
        for component in FIRST_PARTY:
            if normalize_name(component.distribution) == normalize_name(record.distribution):
                registries[component.kind].note_unavailable(component.name, reason)

    # -- helpers -------------------------------------------------------------------------------

    def _observe(self, caller: pluggy.HookCaller, **kwargs: Any) -> None:
        try:
            caller(**kwargs)
        except Exception:
            if self.settings.strict:
                raise
            logger.exception("a chanx plugin's %s hook failed", caller.name)

    def _record(self, name: str) -> PluginRecord | None:
        return next((r for r in self._records if r.name == name and r.status != "disabled"), None)

    def _describe(self, provider: str) -> str:
        record = self._record(provider)
        return record.label if record else repr(provider)

    def _hook_names(self, plugin: object) -> list[str]:
        return sorted(caller.name for caller in self._pm.get_hookcallers(plugin) or ())


def _close(name: str, candidates: list[str]) -> list[str]:
    import difflib  # only for a hint in an error message

    return difflib.get_close_matches(name, candidates, n=1)


def _entry_points() -> list[EntryPoint]:
    """The `chanx` entry points, sorted so load order (and who wins a clash) is stable."""
    from importlib.metadata import entry_points

    eps = entry_points(group=ENTRY_POINT_GROUP)
    return sorted(eps, key=lambda ep: (ep.name, ep.dist.name if ep.dist else ""))


_host: PluginHost | None = None
_host_settings: PluginSettings | None = None
_building = False
_lock = threading.RLock()


def get_plugin_host() -> PluginHost:
    """Return the process's plugin host, building it on first use.

    Raises:
        PluginError: a plugin asked for the host while it was being built.
        PluginLoadError: in strict mode, a plugin failed (the next call tries again).
    """
    global _building, _host
    host = _host
    if host is not None:
        return host
    with _lock:
        if _host is None:
            if _building:
                raise PluginError(
                    "get_plugin_host() was called while plugins were loading; a plugin module "
                    "must not create consumer classes or ask for components at import time"
                )
            _building = True
            try:
                _host = PluginHost(_host_settings)
            finally:
                _building = False
        return _host


def reset_plugin_host(settings: PluginSettings | None = None) -> None:
    """Drop the current host; the next `get_plugin_host()` builds a fresh one.

    Args:
        settings: switches for the next build; from the environment when omitted.
    """
    global _host, _host_settings
    with _lock:
        _host = None
        _host_settings = settings
