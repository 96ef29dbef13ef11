"""Serving the documentation from Starlette or FastAPI.

```python
from chanx.asyncapi.starlette import mount_asyncapi

mount_asyncapi(app, title="Chat API")          # /asyncapi, /asyncapi.json, /asyncapi.yaml
                                               # /asyncapi.python-client.zip, ... (clients)
```

The documents describe the consumers `app` routes, built on the first request and then
cached. The endpoints answer only while enabled: `enabled=None` (the default) follows
`app.debug`, so they are off in production unless you pass `enabled=True`; `enabled=False`
switches them off. Disabled endpoints answer 404 as if they did not exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from chanx.asyncapi import DocumentCache
from chanx.asyncapi.build import build_api_model
from chanx.core.logsetup import ensure_visible

__all__ = ["asyncapi_routes", "mount_asyncapi"]

logger = logging.getLogger("chanx.asyncapi")

FORMATS: dict[str, str] = {"": "html", ".json": "asyncapi-json", ".yaml": "asyncapi-yaml"}
"""URL suffix of each served document -> doc emitter name."""

OPTIONS_ATTR = "chanx_asyncapi_options"
"""Attribute of each docs route holding its title, version, description and servers."""


def asyncapi_routes(
    app: Any,
    *,
    path: str = "/asyncapi",
    title: str = "chanx API",
    version: str = "1.0.0",
    description: str | None = None,
    servers: Mapping[str, str] | None = None,
    enabled: bool | None = None,
    formats: Mapping[str, str] | None = None,
) -> list[BaseRoute]:
    """Routes serving the documentation of the consumers `app` routes.

    Args:
        app: The application (or router) whose consumers are documented.
        path: URL of the HTML page; the other formats append their suffix (`.json`, `.yaml`).
        title: Title of the API.
        version: Version of the API.
        description: Description of the API.
        servers: Named server URLs listed in the documents.
        enabled: True or False to switch the endpoints on or off; None follows `app.debug`.
        formats: URL suffix -> doc emitter name; defaults to `FORMATS` plus, for each
            installed client generator, `.<name>.zip` (the page links to them).

    Returns:
        One `Route` per format, to add to the application's routes.
    """
    cache = DocumentCache(
        lambda: build_api_model(
            app, title=title, version=version, description=description, servers=servers
        )
    )

    def is_enabled(request: Request) -> bool:
        if enabled is not None:
            return enabled
        return bool(getattr(request.app, "debug", False))

    explained: list[bool] = []

    def explain(request: Request) -> None:
        if explained:
            return
        explained.append(True)
        ensure_visible()
        why = "enabled=False was passed" if enabled is False else "the application's debug is off"
        logger.warning(
            "AsyncAPI docs at %s answered 404 because %s; pass enabled=True to "
            "mount_asyncapi()/asyncapi_routes() to serve them outside debug (logged once).",
            path,
            why,
            extra={"path": request.url.path},
        )

    def endpoint(emitter_name: str) -> Callable[[Request], Any]:
        async def serve(request: Request) -> Response:
            if not is_enabled(request):
                explain(request)
                return PlainTextResponse("Not Found", status_code=404)
            data, headers, media_type = cache.get(emitter_name)
            return Response(data, media_type=media_type, headers=headers)

        return serve

    if formats is None:
        from chanx.asyncapi.clients import client_emitters

        table = {**FORMATS, **{f".{name}.zip": name for name in client_emitters()}}
    else:
        table = dict(formats)
    routes: list[BaseRoute] = [
        Route(path + suffix, endpoint(name), methods=["GET"], name=f"asyncapi{suffix or '.html'}")
        for suffix, name in table.items()
    ]
    document = {"title": title, "version": version, "description": description}
    for route in routes:  # read by `chanx asyncapi`, so the CLI documents the same API
        setattr(route, OPTIONS_ATTR, {**document, "servers": dict(servers or {})})
    return routes


def mount_asyncapi(app: Any, **options: Any) -> list[BaseRoute]:
    """Add the documentation routes to `app`, ahead of its other routes.

    Args:
        app: A Starlette or FastAPI application (or router).
        **options: As for `asyncapi_routes`.

    Returns:
        The routes added.
    """
    routes = asyncapi_routes(app, **options)
    router = getattr(app, "router", app)
    router.routes[0:0] = routes
    return routes
