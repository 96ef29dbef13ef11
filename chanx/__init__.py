"""chanx: typed, decorator-routed WebSocket consumers on a small pluggy kernel."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger("chanx").addHandler(logging.NullHandler())
