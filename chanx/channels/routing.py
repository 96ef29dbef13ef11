"""Routing helpers for Channels' ``URLRouter``.

```python
from chanx.channels.routing import URLRouter, include, path

websocket_urlpatterns = [
    path("ws/chat/<int:pk>/", ChatConsumer.as_asgi()),
    path("ws/app/", include("myapp.routing")),   # a module's `router` or `websocket_urlpatterns`
    path("ws/api/", include(URLRouter([...]))),  # a router, as upstream chanx accepts
]
```
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

from channels.routing import URLRouter
from django.urls import path, re_path

__all__ = ["URLRouter", "include", "path", "re_path"]


def include(target: str | ModuleType | list[Any] | URLRouter) -> URLRouter:
    """A nested ``URLRouter`` for a routing module (dotted path or module), a route list,
    or a ``URLRouter`` (returned as it is).

    The module provides ``router`` (a ``URLRouter``) or ``websocket_urlpatterns`` (a list).

    Raises:
        AttributeError: The module has neither name.
        TypeError: `target` is none of the accepted kinds.
    """
    if isinstance(target, URLRouter):
        return target
    if isinstance(target, list | tuple):
        return URLRouter(list(target))
    if not isinstance(target, str | ModuleType):
        raise TypeError(
            f"include({target!r}): pass a routing module (or its dotted path), a list of "
            f"routes, or a URLRouter."
        )
    module = import_module(target) if isinstance(target, str) else target
    router = getattr(module, "router", None)
    if isinstance(router, URLRouter):
        return router
    patterns = getattr(module, "websocket_urlpatterns", None)
    if patterns is None:
        raise AttributeError(
            f"{module.__name__} has neither `router` nor `websocket_urlpatterns` to include."
        )
    return URLRouter(patterns)
