"""Read path parameters, query parameters and the user from an ASGI scope, on any adapter.

Django Channels' ``URLRouter`` puts path captures in ``scope["url_route"]["kwargs"]``;
Starlette puts them in ``scope["path_params"]``. Consumer code that reads them through these
helpers runs on both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

__all__ = ["path_param", "path_params", "query_param", "query_params", "scope_user"]

_REQUIRED: Any = object()


def path_params(scope: Mapping[str, Any]) -> Mapping[str, Any]:
    """The URL path captures of the connection (empty when the route captured nothing)."""
    route = scope.get("url_route")
    if isinstance(route, Mapping) and isinstance(route.get("kwargs"), Mapping):
        kwargs: Mapping[str, Any] = route["kwargs"]
        return kwargs
    params = scope.get("path_params")
    return params if isinstance(params, Mapping) else {}


def path_param(scope: Mapping[str, Any], name: str, default: Any = _REQUIRED) -> Any:
    """One URL path capture.

    Args:
        scope: The connection's ASGI scope (`self.scope` in a consumer).
        name: The capture's name, as written in the route (`<int:room_id>` -> `"room_id"`).
        default: Returned when the route has no such capture; without it that is an error.

    Raises:
        KeyError: The capture is missing and no default was given (the route and the
            consumer disagree about the URL).
    """
    params = path_params(scope)
    if name in params:
        return params[name]
    if default is _REQUIRED:
        known = ", ".join(sorted(params)) or "none"
        raise KeyError(f"no path parameter {name!r} in the scope (captured: {known})")
    return default


def query_params(scope: Mapping[str, Any]) -> dict[str, list[str]]:
    """The query string as a dict of value lists (`?tag=a&tag=b` -> `{"tag": ["a", "b"]}`)."""
    raw = scope.get("query_string") or b""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return parse_qs(text)


def query_param(scope: Mapping[str, Any], name: str, default: str | None = None) -> str | None:
    """The first value of query parameter `name`, or `default` when it is absent."""
    values = query_params(scope).get(name)
    return values[0] if values else default


def scope_user(scope: Mapping[str, Any]) -> Any:
    """The authenticated user in the scope, or None for an anonymous connection.

    Reads ``scope["user"]`` (Channels' ``AuthMiddlewareStack`` or any middleware that sets
    it); a user whose ``is_authenticated`` is false (Django's ``AnonymousUser``) is None.
    """
    user = scope.get("user")
    if user is None or getattr(user, "is_authenticated", True) is False:
        return None
    return user
