"""Django REST framework authenticator for chanx consumers on Django Channels.

Install with ``pip install "chanx[drf]"``; import it as
``from chanx.channels.authenticator import DjangoAuthenticator`` or select it by name with
``authenticator_class = "drf"``.
"""

from __future__ import annotations

from chanx_auth_drf.authenticator import DjangoAuthenticator

__all__ = ["DjangoAuthenticator"]
