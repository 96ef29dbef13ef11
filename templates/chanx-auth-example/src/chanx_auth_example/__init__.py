"""An API-key authenticator for chanx, registered as ``"example"``.

Select it with ``authenticator_class = "example"`` on a consumer, or import
`ApiKeyAuthenticator` and subclass it.
"""

from __future__ import annotations

from chanx_auth_example.authenticator import ApiKeyAuthenticator

__all__ = ["ApiKeyAuthenticator"]
