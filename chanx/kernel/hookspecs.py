"""Every hook a chanx plugin can implement, grouped by the phase in which it runs.

Hooks are synchronous. Implementations use `chanx.kernel.hookimpl` and may accept any subset
of a hook's arguments, by name. Nothing runs per message: the consumer plan holds plain
callables built from what these hooks registered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from chanx.kernel.contracts import (
        AuthenticatorFactory,
        DocEmitterFactory,
        FormatterFactory,
        LayerFactory,
        ObserverFactory,
    )
    from chanx.kernel.registry import ComponentRegistry

hookspec = pluggy.HookspecMarker("chanx")

# -- process phase: called once per plugin, when the plugin host is built --------------------


@hookspec
def chanx_register_authenticators(registry: ComponentRegistry[AuthenticatorFactory]) -> None:
    """Add authenticator classes that consumers can select by name.

    Called once per plugin when the plugin host is built (or when the plugin is registered
    later with `PluginHost.register`).

    Args:
        registry: call `registry.add(name, authenticator_class)`; a consumer then selects it
            with `authenticator_class = "<name>"`.

    Returns:
        None.
    """


@hookspec
def chanx_register_layers(registry: ComponentRegistry[LayerFactory]) -> None:
    """Add channel-layer factories that layer configs can name as their `BACKEND`.

    Called once per plugin when the plugin host is built (or on `PluginHost.register`).

    Args:
        registry: call `registry.add(name, factory)`; `factory(**config)` must return an
            object following `chanx.kernel.contracts.ChannelLayer`.

    Returns:
        None.
    """


@hookspec
def chanx_register_formatters(registry: ComponentRegistry[FormatterFactory]) -> None:
    """Add message formatters that consumers can list in `formatters = (...)`.

    Called once per plugin when the plugin host is built (or on `PluginHost.register`).

    Args:
        registry: call `registry.add(name, factory)`; `factory()` must return an object
            following `chanx.kernel.contracts.Formatter`.

    Returns:
        None.
    """


@hookspec
def chanx_register_doc_emitters(registry: ComponentRegistry[DocEmitterFactory]) -> None:
    """Add documentation emitters (AsyncAPI JSON/YAML, HTML, ...) selectable by name.

    Called once per plugin when the plugin host is built (or on `PluginHost.register`).

    Args:
        registry: call `registry.add(name, factory)`; `factory()` must return an object
            following `chanx.kernel.contracts.DocEmitter`.

    Returns:
        None.
    """


@hookspec
def chanx_register_observers(registry: ComponentRegistry[ObserverFactory]) -> None:
    """Add observers (metrics, traces) that consumers can list in `observers = (...)`.

    Called once per plugin when the plugin host is built (or on `PluginHost.register`).
    An observer is resolved when a consumer class is compiled and returns plain callables
    and wrappers the runtime calls per connection, frame and event, so no hook is called
    per message (see `chanx.kernel.contracts.Observer`).

    Args:
        registry: call `registry.add(name, factory)`; `factory(consumer_cls)` must return an
            object following `chanx.kernel.contracts.Observer`.

    Returns:
        None.
    """


# -- class creation: called once per consumer class ------------------------------------------


@hookspec
def chanx_validate_consumer(consumer_cls: type[Any]) -> None:
    """Check a consumer class as it is created, before its plan is frozen.

    Called once per concrete consumer class, from its `__init_subclass__`.

    Args:
        consumer_cls: the new consumer class.

    Returns:
        None. Raise an exception (naming the class and the fix) to reject the class; the
        error propagates to the class statement.
    """


@hookspec(historic=True)
def chanx_consumer_prepared(consumer_cls: type[Any]) -> None:
    """Observe a consumer class once its plan is built (e.g. to collect documentation).

    Historic: a plugin registered after some classes were created is called for each of them
    when it registers, so it sees every class regardless of import order.

    Args:
        consumer_cls: the consumer class, with its plan attached.

    Returns:
        None (results of historic hooks are discarded).
    """


# -- connection: called per connection, and only when some plugin implements the hook --------


@hookspec
def chanx_connection_opened(consumer: Any) -> None:
    """Observe a connection that was accepted (metrics, presence, audit).

    Called once per connection after the consumer accepted it. When no plugin implements this
    hook the runtime skips it entirely. Errors are logged to `chanx.kernel`, not raised
    (raised in strict mode).

    Args:
        consumer: the consumer instance serving the connection.

    Returns:
        None.
    """


@hookspec
def chanx_connection_closed(consumer: Any, code: int) -> None:
    """Observe a connection that ended, whoever closed it.

    Called once per accepted connection after it closed. Skipped entirely when no plugin
    implements it; errors are logged, not raised (raised in strict mode).

    Args:
        consumer: the consumer instance that served the connection.
        code: the WebSocket close code (e.g. 1000 normal, 1001 going away).

    Returns:
        None.
    """
