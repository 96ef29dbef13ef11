"""MessagePack frames for chanx consumers: binary, smaller than JSON text.

Install with `pip install --no-index --find-links dist "chanx[msgpack]"` and select it with
`formatters = ("msgpack",)`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx_format_msgpack.formatter import MessagePackWire, MsgpackFormatter

__all__ = ["MessagePackWire", "MsgpackFormatter"]

_HOMES = {
    "MessagePackWire": "chanx_format_msgpack.formatter",
    "MsgpackFormatter": "chanx_format_msgpack.formatter",
}


def __getattr__(name: str) -> Any:
    """Import on first use: msgpack is imported only by a process that serves a msgpack consumer."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chanx_format_msgpack' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
