"""Message encoding on the wire: msgpack, which carries bytes as well as JSON-like values."""

from __future__ import annotations

from typing import Any

import msgpack  # type: ignore[import-untyped]

__all__ = ["pack", "unpack"]


def pack(value: object) -> bytes:
    """Encode `value`; `TypeError` if it holds something msgpack cannot carry."""
    data: bytes = msgpack.packb(value, use_bin_type=True)
    return data


def unpack(data: bytes) -> Any:
    """Decode bytes made by `pack` (lists come back for tuples)."""
    return msgpack.unpackb(data, raw=False)
