"""MessagePack frames for chanx consumers: binary, smaller than JSON text.

Install with `pip install --no-index --find-links dist "chanx[msgpack]"` and select it with
`formatters = ("msgpack",)`.
"""

from __future__ import annotations

from chanx_format_msgpack.formatter import MessagePackWire, MsgpackFormatter

__all__ = ["MessagePackWire", "MsgpackFormatter"]
