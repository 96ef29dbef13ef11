"""Django Channels adapter: consumers, the `chanx.channels` Django app, settings and routing.

Add ``"chanx.channels"`` to ``INSTALLED_APPS``, write consumers with
`chanx.channels.websocket.AsyncJsonWebsocketConsumer`, and mount them with Channels'
``URLRouter`` and ``as_asgi()``. Defaults for every consumer live in one ``CHANX = {...}``
settings dict (see `chanx.channels.settings`).
"""

from collections.abc import Mapping as _Mapping
from typing import Any as _Any

from chanx.conf import add_source as _add_source
from chanx.kernel.install import require_modules as _require_modules

_require_modules("chanx.channels", ("django", "channels"), "django")


def _django_settings() -> _Mapping[str, _Any] | None:
    """``settings.CHANX`` as a source of `chanx.conf` settings.

    Without ``CHANX["ALLOWED_ORIGINS"]``, the origin allow-list is derived from the project's
    ``ALLOWED_HOSTS``, ``CORS_ALLOWED_ORIGINS`` and ``CSRF_TRUSTED_ORIGINS`` (see
    `chanx.channels.origins`).
    """
    from django.conf import settings

    from chanx.channels.origins import with_derived_origins
    from chanx.channels.settings import security_mapping

    if not settings.configured:
        return None
    return with_derived_origins(security_mapping(), settings)


_add_source(_django_settings)
