"""Channel layer aliases for apps without Django settings (Starlette, FastAPI, scripts).

The configuration has the shape of Django Channels' ``CHANNEL_LAYERS``::

    configure_layers({
        "default": {"BACKEND": "memory", "CONFIG": {"capacity": 200}},
        "events": {"BACKEND": "myapp.layers.AuditedLayer"},
    })

``BACKEND`` is either the name of a registered layer (``"memory"``, ``"redis"``: looked up in
the plugin kernel's layer registry) or the dotted import path of a `BaseChannelLayer` subclass.
``CONFIG`` is passed to it as keyword arguments. Each alias is built on first use and reused for
the rest of the process. Without any configuration, ``"default"`` is an in-memory layer.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import threading
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from chanx.kernel.contracts import ChannelLayer
from chanx.layers.exceptions import InvalidLayerConfig, LayerNotConfigured

__all__ = [
    "DEFAULT_ALIAS",
    "close_layers",
    "configure_layers",
    "get_channel_layer",
    "reset_layers",
]

logger = logging.getLogger("chanx.layers")

DEFAULT_ALIAS = "default"
_IMPLICIT_CONFIG: dict[str, dict[str, Any]] = {DEFAULT_ALIAS: {"BACKEND": "memory"}}
_ALLOWED_KEYS = frozenset({"BACKEND", "CONFIG"})

LayerFactory = Callable[..., Any]

_lock = threading.RLock()
_config: dict[str, dict[str, Any]] | None = None
_factories: dict[str, LayerFactory] = {}
_layers: dict[str, ChannelLayer] = {}
_closing: set[asyncio.Task[None]] = set()


def configure_layers(config: Mapping[str, Mapping[str, Any]]) -> None:
    """Replace the layer configuration; previously built layers are closed and forgotten.

    Backends are resolved now, so a misspelt name or import path fails at startup; the
    layers themselves are built lazily by `get_channel_layer`.

    Args:
        config: Alias to ``{"BACKEND": name_or_dotted_path, "CONFIG": {...}}``.

    Raises:
        InvalidLayerConfig: An entry is malformed or its dotted path cannot be imported.
        LookupError: A registered name is unknown (the kernel's error lists what exists).
    """
    if not isinstance(config, Mapping):
        raise InvalidLayerConfig(
            f"configure_layers() expects a mapping of alias to settings, got "
            f"{type(config).__name__}."
        )
    checked = {alias: _check_entry(alias, entry) for alias, entry in config.items()}
    factories = {
        alias: _resolve_backend(alias, entry["BACKEND"]) for alias, entry in checked.items()
    }
    _replace(checked, factories)


def get_channel_layer(alias: str = DEFAULT_ALIAS) -> ChannelLayer:
    """Return the layer configured under `alias`, building it on first use.

    Args:
        alias: The alias; ``"default"`` unless the consumer sets ``channel_layer_alias``.

    Returns:
        The one layer instance of this alias in this process.

    Raises:
        LayerNotConfigured: No such alias; the message names the configured ones.
        InvalidLayerConfig: The backend rejected its ``CONFIG`` or built a non-layer.
    """
    layer = _layers.get(alias)
    if layer is not None:
        return layer
    with _lock:
        layer = _layers.get(alias)
        if layer is None:
            layer = _layers[alias] = _build(alias)
        return layer


def reset_layers() -> None:
    """Forget the configuration and every built layer (for tests); built layers are closed."""
    _replace(None, {})


def _replace(config: dict[str, dict[str, Any]] | None, factories: dict[str, LayerFactory]) -> None:
    """Install a configuration and its resolved backends; close the layers built before."""
    global _config
    with _lock:
        old = list(_layers.values())
        _config = config
        _factories.clear()
        _factories.update(factories)
        _layers.clear()
    _close_in_background(old)


async def close_layers() -> int:
    """Close every built layer and forget it (e.g. at application shutdown); keeps the config.

    Layers that buffer outgoing messages (the Redis layer) send what is queued first, each
    bounded by its own timeout (``close_timeout``).

    Returns:
        How many queued messages the layers could not send before closing (their
        ``stats.abandoned``; 0 for layers that never buffer). A WARNING is logged if any.
    """
    with _lock:
        old = list(_layers.values())
        _layers.clear()
    abandoned = 0
    for layer in old:
        before = _abandoned(layer)
        await layer.close()
        abandoned += _abandoned(layer) - before
    if abandoned:
        logger.warning(
            "close_layers(): %d queued message(s) could not be sent before closing",
            abandoned,
            extra={"abandoned": abandoned},
        )
    return abandoned


def _abandoned(layer: ChannelLayer) -> int:
    """A layer's count of messages it gave up sending (``stats.abandoned``), else 0."""
    count = getattr(getattr(layer, "stats", None), "abandoned", 0)
    return count if isinstance(count, int) else 0


def _current_config() -> dict[str, dict[str, Any]]:
    """The configured aliases, or the implicit in-memory default."""
    return _IMPLICIT_CONFIG if _config is None else _config


def _build(alias: str) -> ChannelLayer:
    """Build the layer of `alias` from its resolved backend and CONFIG."""
    config = _current_config()
    entry = config.get(alias)
    if entry is None:
        known = ", ".join(repr(name) for name in config) or "none"
        hint = "" if _config is not None else " (no configure_layers() call yet)"
        raise LayerNotConfigured(
            f"No channel layer alias {alias!r}. Configured aliases: {known}{hint}. Add it to "
            "configure_layers({...}) or set the consumer's channel_layer_alias to one of them."
        )
    factory = _factories.get(alias)
    if factory is None:
        factory = _factories[alias] = _resolve_backend(alias, entry["BACKEND"])
    options = entry.get("CONFIG") or {}
    try:
        layer = factory(**options)
    except TypeError as exc:
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: {_label(factory)} rejected CONFIG "
            f"{sorted(options)}: {exc}"
        ) from exc
    if not isinstance(layer, ChannelLayer):
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: BACKEND {entry['BACKEND']!r} built a "
            f"{type(layer).__name__}, which lacks the channel-layer methods (new_channel, "
            f"send, receive, group_add, group_discard, group_send). Subclass "
            f"chanx.layers.BaseChannelLayer."
        )
    logger.debug("Built channel layer %r for alias %r", layer, alias)
    return layer


def _check_entry(alias: object, entry: object) -> dict[str, Any]:
    """Validate one alias entry's shape and return a plain-dict copy."""
    if not isinstance(alias, str) or not alias:
        raise InvalidLayerConfig(f"Channel layer aliases must be non-empty str, got {alias!r}.")
    if not isinstance(entry, Mapping):
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: expected a mapping like "
            f'{{"BACKEND": "memory", "CONFIG": {{...}}}}, got {type(entry).__name__}.'
        )
    unknown = sorted(set(entry) - _ALLOWED_KEYS)
    if unknown:
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: unknown key(s) {unknown}; allowed: BACKEND, CONFIG."
        )
    backend = entry.get("BACKEND")
    if not isinstance(backend, str) or not backend:
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: BACKEND must be a registered layer name such as "
            f"'memory' or a dotted class path, got {backend!r}."
        )
    options = entry.get("CONFIG")
    if options is not None and not isinstance(options, Mapping):
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: CONFIG must be a mapping of keyword arguments, "
            f"got {type(options).__name__}."
        )
    return {"BACKEND": backend, "CONFIG": dict(options or {})}


def _resolve_backend(alias: str, backend: str) -> LayerFactory:
    """Turn a BACKEND value into a factory: dotted path import, else the kernel registry."""
    if "." in backend:
        return _import_backend(alias, backend)
    from chanx.kernel import get_plugin_host

    factory: LayerFactory = get_plugin_host().layers.get(
        backend, where=f"channel layer alias {alias!r} BACKEND"
    )
    return factory


def _import_backend(alias: str, path: str) -> LayerFactory:
    """Import ``package.module.ClassName``."""
    module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: BACKEND {path!r}: cannot import module "
            f"{module_name!r} ({exc})."
        ) from exc
    try:
        factory: LayerFactory = getattr(module, attribute)
    except AttributeError:
        raise InvalidLayerConfig(
            f"Channel layer alias {alias!r}: BACKEND {path!r}: module {module_name!r} has no "
            f"attribute {attribute!r}."
        ) from None
    return factory


def _label(factory: LayerFactory) -> str:
    """A readable name for a factory in error messages."""
    return getattr(factory, "__qualname__", None) or repr(factory)


def _close_in_background(layers: list[ChannelLayer]) -> None:
    """Close forgotten layers: as tasks on the running loop, else driven synchronously."""
    if not layers:
        return
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    for layer in layers:
        coro = layer.close()
        if loop is not None:
            task = loop.create_task(coro)
            _closing.add(task)
            task.add_done_callback(_closed)
        else:
            _drive(layer, coro)


def _closed(task: asyncio.Task[None]) -> None:
    """Forget a finished background close, logging its failure if it failed."""
    _closing.discard(task)
    if not task.cancelled() and task.exception() is not None:
        logger.error("Closing a channel layer failed", exc_info=task.exception())


def _drive(layer: ChannelLayer, coro: Coroutine[Any, Any, None]) -> None:
    """Run a close() that needs no event loop (the in-memory layer's) to completion."""
    try:
        coro.send(None)
    except StopIteration:
        return
    except Exception:
        logger.exception("Closing channel layer %r failed", layer)
        return
    coro.close()
    logger.warning(
        "Channel layer %r needs an event loop to close; it was forgotten without closing. "
        "Call `await close_layers()` (e.g. at application shutdown) before reconfiguring.",
        layer,
    )
