"""Serving the AsyncAPI documentation from Django.

```python
# urls.py
from django.urls import include, path

urlpatterns = [path("asyncapi/", include("chanx.channels.asyncapi_urls"))]
# -> /asyncapi/ (HTML page), /asyncapi/asyncapi.json, /asyncapi/asyncapi.yaml

# settings.py (every key optional)
CHANX_ASYNCAPI = {
    "APP": "myproject.asgi.application",  # default: settings.ASGI_APPLICATION
    "TITLE": "Chat API",
    "VERSION": "1.0.0",
    "DESCRIPTION": None,
    "SERVERS": {"local": "ws://localhost:8000"},
    "ENABLED": None,  # None: only while DEBUG is True
}
```

The documents describe the consumers the ASGI application routes (its `"websocket"`
`URLRouter`s), built on the first request and cached until a setting changes. Disabled
endpoints raise `Http404`. `python manage.py asyncapi` writes the same documents.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.http import Http404, HttpRequest, HttpResponse

from chanx.asyncapi import ApiModel, DocumentCache
from chanx.asyncapi.build import build_api_model
from chanx.core.logsetup import ensure_visible

__all__ = [
    "SETTING",
    "asyncapi_options",
    "asyncapi_view",
    "client_view",
    "is_enabled",
    "load_application",
]

logger = logging.getLogger("chanx.asyncapi")

SETTING = "CHANX_ASYNCAPI"
DEFAULTS: dict[str, Any] = {
    "APP": None,
    "TITLE": "chanx API",
    "VERSION": "1.0.0",
    "DESCRIPTION": None,
    "SERVERS": {},
    "ENABLED": None,
}


def asyncapi_options() -> dict[str, Any]:
    """`settings.CHANX_ASYNCAPI` merged over the defaults.

    Raises:
        ImproperlyConfigured: the setting has an unknown key.
    """
    from django.core.exceptions import ImproperlyConfigured

    given = getattr(settings, SETTING, None) or {}
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(
            f"settings.{SETTING} has unknown key(s) {', '.join(unknown)}; "
            f"known keys: {', '.join(DEFAULTS)}."
        )
    return {**DEFAULTS, **given}


def is_enabled() -> bool:
    """Whether the docs endpoints answer: `ENABLED`, or `DEBUG` when it is None."""
    enabled = asyncapi_options()["ENABLED"]
    return bool(settings.DEBUG) if enabled is None else bool(enabled)


def application_target(target: str | None = None) -> str:
    """`module:attribute` of the application to document: `target`, `APP` or `ASGI_APPLICATION`.

    Django's `module.attribute` spelling is converted; empty when none names an application.
    """
    dotted = (
        target or asyncapi_options()["APP"] or getattr(settings, "ASGI_APPLICATION", None) or ""
    )
    if dotted and ":" not in dotted:
        module, _, attribute = dotted.rpartition(".")
        return f"{module}:{attribute}"
    return str(dotted)


def load_application(target: str | None = None) -> Any:
    """Import the ASGI application to document (`APP`, else `ASGI_APPLICATION`).

    Accepts `module.attribute` (Django's spelling) and `module:attribute`.

    Raises:
        ImproperlyConfigured: neither setting names an application.
    """
    from django.core.exceptions import ImproperlyConfigured

    from chanx.asyncapi.cli import load_app

    dotted = application_target(target)
    if not dotted:
        raise ImproperlyConfigured(
            f"Set settings.ASGI_APPLICATION (Channels needs it) or settings.{SETTING}['APP'] "
            f"to the ASGI application whose consumers are documented."
        )
    return load_app(dotted)


def _build_model() -> ApiModel:
    options = asyncapi_options()
    return build_api_model(
        load_application(),
        title=options["TITLE"],
        version=options["VERSION"],
        description=options["DESCRIPTION"],
        servers=options["SERVERS"],
    )


_documents = DocumentCache(_build_model)


def asyncapi_view(request: HttpRequest, emitter: str = "html") -> HttpResponse:
    """Serve one documentation format (a registered doc emitter name).

    Args:
        request: The request (only `GET`/`HEAD` are answered).
        emitter: `html`, `asyncapi-json`, `asyncapi-yaml` or a plugin's emitter name.

    Raises:
        Http404: the docs are disabled (see `is_enabled`).
    """
    if not is_enabled():
        _explain_disabled(request)
        raise Http404("The AsyncAPI documentation is disabled.")
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    data, headers, media_type = _documents.get(emitter)
    return HttpResponse(data, content_type=media_type, headers=headers)


def client_view(request: HttpRequest, emitter: str) -> HttpResponse:
    """Serve a generated client's archive (`emitter` must be an installed client generator).

    Raises:
        Http404: the docs are disabled, or no client generator is named `emitter`.
    """
    from chanx.asyncapi.clients import client_emitters

    if emitter not in client_emitters():
        raise Http404(f"No client generator named {emitter!r}.")
    return asyncapi_view(request, emitter)


_explained: set[str] = set()


def _explain_disabled(request: HttpRequest) -> None:
    """Say once (per settings change) why the docs answer 404."""
    if "disabled" in _explained:
        return
    _explained.add("disabled")
    ensure_visible()
    why = (
        f'settings.{SETTING}["ENABLED"] is False'
        if asyncapi_options()["ENABLED"] is False
        else "DEBUG is False"
    )
    logger.warning(
        "AsyncAPI docs at %s answered 404 because %s; set settings.%s = "
        '{"ENABLED": True} to serve them outside debug (logged once).',
        request.path,
        why,
        SETTING,
        extra={"path": request.path},
    )


def clear_cache(**_: Any) -> None:
    """Forget the built documents (done whenever a Django setting changes)."""
    _documents.clear()
    _explained.clear()


setting_changed.connect(clear_cache, dispatch_uid="chanx.channels.asyncapi.clear_cache")
