"""Finding the consumers an ASGI application actually routes, with their addresses.

Only routed consumers are documented: a consumer class that is defined but mounted nowhere
does not appear. Starlette and FastAPI routers are walked through `Mount`s and included
routers (FastAPI's lazily included ones too); a route serves a consumer when its endpoint
(or the ASGI app it wraps) has a `consumer_class` attribute, as `as_asgi()` returns.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RoutedConsumer", "routed_consumers"]

_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?}")
_MAX_UNWRAP = 8


@dataclass(frozen=True, slots=True)
class RoutedConsumer:
    """A consumer class served at an address.

    Attributes:
        address: The full path, parameters written `{name}` (converters dropped).
        consumer_class: The consumer class.
        parameters: `(name, converter)` of each path parameter, in order (`"str"` by default).
    """

    address: str
    consumer_class: type[Any]
    parameters: tuple[tuple[str, str], ...] = ()


def routed_consumers(app: Any) -> list[RoutedConsumer]:
    """Every consumer `app` routes, sorted by address then class.

    Args:
        app: A Starlette or FastAPI application, a `Router`, or a list of routes.

    Returns:
        One entry per (address, consumer) pair; duplicates are dropped.
    """
    found = {
        (r.address, r.consumer_class.__module__, r.consumer_class.__qualname__): r
        for r in _walk(_routes_of(app), "", 0)
    }
    return [found[key] for key in sorted(found)]


def _routes_of(app: Any) -> Iterable[Any]:
    if isinstance(app, list | tuple):
        return app
    for _ in range(_MAX_UNWRAP):
        routes = getattr(app, "routes", None)
        if routes is not None:
            return list(routes)
        router = getattr(app, "router", None)
        if router is not None and router is not app:
            app = router
            continue
        inner = getattr(app, "app", None)  # middleware wrappers
        if inner is None or inner is app:
            break
        app = inner
    return []


def _walk(routes: Iterable[Any], prefix: str, depth: int) -> Iterator[RoutedConsumer]:
    if depth > _MAX_UNWRAP:
        return
    for route in routes:
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            # FastAPI >= 0.16x keeps an included router whole, with its prefix on the side.
            original = getattr(route, "original_router", None)
            if original is not None:
                added = getattr(getattr(route, "include_context", None), "prefix", "") or ""
                yield from _walk(_routes_of(original), prefix + added, depth + 1)
            continue
        consumer = _consumer_class(route)
        if consumer is not None:
            yield _entry(prefix + path, consumer)
            continue
        children = getattr(route, "routes", None)
        if children is None:
            child_app = getattr(route, "app", None)
            children = _routes_of(child_app) if child_app is not None else None
        if children:
            yield from _walk(children, prefix + path.rstrip("/"), depth + 1)


def _consumer_class(route: Any) -> type[Any] | None:
    for start in (getattr(route, "endpoint", None), getattr(route, "app", None)):
        target = start
        for _ in range(_MAX_UNWRAP):
            if target is None:
                break
            consumer = getattr(target, "consumer_class", None)
            if isinstance(consumer, type):
                return consumer
            target = getattr(target, "app", None)
    return None


def _entry(path: str, consumer: type[Any]) -> RoutedConsumer:
    parameters = tuple((m.group(1), m.group(2) or "str") for m in _PARAM.finditer(path))
    address = _PARAM.sub(lambda m: "{" + m.group(1) + "}", path) or "/"
    return RoutedConsumer(address, consumer, parameters)
