"""Finding the consumers an ASGI application actually routes, with their addresses.

Only routed consumers are documented: a consumer class that is defined but mounted nowhere
does not appear. Starlette and FastAPI routers are walked through `Mount`s and included
routers (FastAPI's lazily included ones too); a route serves a consumer when its endpoint
(or the ASGI app it wraps) has a `consumer_class` attribute, as `as_asgi()` returns.
Django Channels applications are walked the same way: `ProtocolTypeRouter` (its
`"websocket"` entry), middleware stacks, and `URLRouter`s of `path()` / `re_path()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
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
        mapping = getattr(app, "application_mapping", None)  # Channels' ProtocolTypeRouter
        if isinstance(mapping, dict):
            app = mapping.get("websocket")
            continue
        # Starlette routers and middleware; Channels middleware (`inner`, `application`).
        for attribute in ("router", "app", "inner", "application"):
            inner = getattr(app, attribute, None)
            if inner is not None and inner is not app:
                app = inner
                break
        else:
            break
    return []


def _walk(routes: Iterable[Any], prefix: str, depth: int) -> Iterator[RoutedConsumer]:
    if depth > _MAX_UNWRAP:
        return
    for route in routes:
        if hasattr(route, "pattern") and hasattr(route, "callback"):  # Django URLPattern
            yield from _walk_django(route, prefix, depth)
            continue
        path = getattr(route, "path", None)
        if not isinstance(path, str):
            # FastAPI >= 0.16x keeps an included router whole, with its prefix on the side.
            original = getattr(route, "original_router", None)
            if original is not None:
                added = getattr(getattr(route, "include_context", None), "prefix", "") or ""
                yield from _walk(_routes_of(original), prefix + added, depth + 1)
            elif isinstance(getattr(route, "host", None), str):  # Starlette's Host
                yield from _walk(_routes_of(route.app), prefix, depth + 1)
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


_DJANGO_PARAM = re.compile(r"<(?:([A-Za-z_][A-Za-z0-9_]*):)?([A-Za-z_][A-Za-z0-9_]*)>")
_REGEX_GROUP = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>(?:[^()\\]|\\.|\([^()]*\))*\)")


def _walk_django(route: Any, prefix: str, depth: int) -> Iterator[RoutedConsumer]:
    """A Channels `URLRouter` entry: Django's `path()`/`re_path()` around an app or router."""
    path = prefix + _django_path(route.pattern)
    consumer = _consumer_class(SimpleNamespace(endpoint=route.callback))
    if consumer is not None:
        yield _entry("/" + path.lstrip("/"), consumer)
    else:
        yield from _walk(_routes_of(route.callback), path, depth + 1)


def _django_path(pattern: Any) -> str:
    """`ws/<int:pk>/` or `^ws/(?P<pk>\\d+)/$` -> `ws/{pk:int}/` (converters kept for `_entry`)."""
    regex = getattr(pattern, "_regex", None)
    if isinstance(regex, str) and not hasattr(pattern, "_route"):
        text = _REGEX_GROUP.sub(lambda m: "{" + m.group(1) + "}", regex)
        return re.sub(r"\\(.)", r"\1", text.removeprefix("^").removesuffix("$"))
    route = str(getattr(pattern, "_route", pattern))
    return _DJANGO_PARAM.sub(
        lambda m: "{" + m.group(2) + (":" + m.group(1) if m.group(1) else "") + "}", route
    )
