"""chanx: typed, decorator-routed WebSocket consumers on a small pluggy kernel."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("chanx").addHandler(logging.NullHandler())


def configure(**overrides: object) -> None:
    """Change chanx's global settings (see `chanx.conf.Settings` for names and defaults)."""
    from chanx.conf import configure as _configure

    _configure(**overrides)
