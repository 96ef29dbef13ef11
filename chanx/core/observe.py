"""Observers on the plan: selected once per class, called through plain wrappers.

A consumer class selects observers by name (`observers = ("otel",)`, or the `observers`
setting for every class). When its plan is compiled, `instrument()` builds each observer
(`factory(consumer_cls)`), wraps the handlers in the dispatch tables once, and stores the
observer on the plan. At run time the serving loop asks `plan.observer` for a
`ConnectionObserver` per connection and serves frames and layer messages through the
wrappers it returns. A class that selects no observer keeps `plan.observer = None` and runs
exactly the unobserved code path: no plugin call, no wrapper, per message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chanx import conf
from chanx.core.close_codes import CloseCode
from chanx.core.plan import ConsumerDefinitionError, ConsumerPlan, Route

if TYPE_CHECKING:
    from chanx.kernel.contracts import (
        ConnectionObserver,
        Handler,
        Observer,
        SendFrame,
        Serve,
    )
    from chanx.kernel.host import PluginHost

__all__ = ["ObserverChain", "instrument", "refusal_cause", "resolve_observers"]


def resolve_observers(cls: type, host: PluginHost) -> tuple[Observer, ...]:
    """Build the observers `cls` selected (its `observers`, else the `observers` setting)."""
    names = conf.value_for(cls, "observers") or ()
    if isinstance(names, str):
        raise ConsumerDefinitionError(
            f"{cls.__qualname__}.observers must be a sequence of names, e.g. ('otel',), not "
            f"the string {names!r}."
        )
    where = f"{cls.__name__}.observers"
    return tuple(host.observers.get(name, where=where)(cls) for name in names)


def instrument(plan: ConsumerPlan, observers: Sequence[Observer]) -> ConsumerPlan:
    """Return `plan` with its handlers wrapped by `observers` and the observer attached.

    Only the dispatch tables are rewritten; `ws_routes` / `event_routes` (which the
    documentation reads) keep the handlers as written.
    """
    if not observers:
        return plan
    observer: Observer = observers[0] if len(observers) == 1 else ObserverChain(observers)
    wrapped: dict[int, Route] = {}

    def wrap(route: Route) -> Route:
        done = wrapped.get(id(route))
        if done is None:
            func = observer.wrap_handler(route.kind, route.action, route.func)
            done = wrapped[id(route)] = dataclasses.replace(route, func=func)
        return done

    return dataclasses.replace(
        plan,
        ws_dispatch={t: wrap(r) for t, r in plan.ws_dispatch.items()},
        event_dispatch={t: wrap(r) for t, r in plan.event_dispatch.items()},
        observer=observer,
    )


def refusal_cause(code: int | None) -> str:
    """Classify a refused handshake by the close code it was refused with."""
    if code == CloseCode.TOO_MANY_CONNECTIONS:
        return "limit"
    if code == CloseCode.INTERNAL_ERROR:
        return "error"
    return "auth"


class ObserverChain:
    """Several observers selected by one class, applied in order (the first outermost)."""

    def __init__(self, observers: Sequence[Observer]) -> None:
        self.observers = tuple(observers)

    @property
    def name(self) -> str:
        """The members' names joined with `+`."""
        return "+".join(o.name for o in self.observers)

    def wrap_handler(self, kind: str, action: str, handler: Handler) -> Handler:
        """Wrap `handler` with every observer, the first outermost."""
        for observer in reversed(self.observers):
            handler = observer.wrap_handler(kind, action, handler)
        return handler

    def stamp(self, message: dict[str, Any], layer: Any) -> None:
        """Let every observer annotate `message`."""
        for observer in self.observers:
            observer.stamp(message, layer)

    def connect(self, consumer: Any) -> ConnectionObserver:
        """One connection observer that forwards to each member's."""
        return _ConnectionChain([o.connect(consumer) for o in self.observers])


class _ConnectionChain:
    def __init__(self, members: list[ConnectionObserver]) -> None:
        self.members = members

    def refused(self, cause: str, code: int) -> None:
        for member in self.members:
            member.refused(cause, code)

    def opened(self) -> None:
        for member in self.members:
            member.opened()

    def wrap_frame(self, serve: Serve) -> Serve:
        for member in reversed(self.members):
            serve = member.wrap_frame(serve)
        return serve

    def wrap_layer(self, serve: Serve) -> Serve:
        for member in reversed(self.members):
            serve = member.wrap_layer(serve)
        return serve

    def wrap_send(self, send_frame: SendFrame) -> SendFrame:
        for member in reversed(self.members):
            send_frame = member.wrap_send(send_frame)
        return send_frame

    def backpressure(self, seconds: float) -> None:
        for member in self.members:
            member.backpressure(seconds)

    def closed(self, code: int) -> None:
        for member in self.members:
            member.closed(code)
