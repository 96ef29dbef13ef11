"""`DjangoAuthenticator` (Django REST framework), shipped by the ``chanx-auth-drf`` plugin.

``from chanx.channels.authenticator import DjangoAuthenticator`` works once the plugin is
installed (``pip install "chanx[drf]"``); without it the import fails with that hint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chanx.kernel.install import install_hint

__all__ = ["DjangoAuthenticator"]

_HINT = f"DjangoAuthenticator needs the chanx-auth-drf plugin: {install_hint('drf')}"

if TYPE_CHECKING:
    from chanx_auth_drf import DjangoAuthenticator
else:
    try:
        from chanx_auth_drf import DjangoAuthenticator
    except ImportError as exc:
        if (exc.name or "").split(".")[0] not in ("chanx_auth_drf", "rest_framework"):
            raise
        raise ImportError(f"{_HINT} (missing module {exc.name!r}).", name=exc.name) from exc
