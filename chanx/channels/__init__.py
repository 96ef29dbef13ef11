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
    """``settings.CHANX`` as a source of `chanx.conf` settings."""
    from chanx.channels.settings import security_mapping

    return security_mapping()


_add_source(_django_settings)
