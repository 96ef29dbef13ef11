"""`MsgpackFormatter`: binary MessagePack frames instead of JSON text."""

from __future__ import annotations

from typing import Any

import msgpack  # type: ignore[import-untyped]

__all__ = ["MessagePackWire", "MsgpackFormatter"]


class MessagePackWire:
    """The MessagePack wire codec: binary frames, maps with string keys."""

    name = "MessagePack"
    binary = True
    content_type = "application/msgpack"  # documented as the messages' AsyncAPI contentType

    def loads(self, frame: str | bytes) -> Any:
        """Decode one binary frame.

        Raises:
            ValueError: The frame is not one complete MessagePack object.
        """
        if isinstance(frame, str):
            raise ValueError("a text frame is not MessagePack")
        try:
            return msgpack.unpackb(frame, raw=False, strict_map_key=True)
        except (msgpack.UnpackException, ValueError, TypeError) as exc:
            raise ValueError(f"not MessagePack: {exc}") from None

    def dumps(self, data: Any) -> bytes:
        """Encode one frame (the data is already JSON-compatible: pydantic's json mode)."""
        frame: bytes = msgpack.packb(data, use_bin_type=True)
        return frame


class MsgpackFormatter:
    """Owns the wire codec: frames are MessagePack; routing and validation are unchanged.

    Keys and values pass through untouched (`incoming`/`outgoing` are identities), so it
    combines with key formatters: `formatters = ("camelize", "msgpack")`. A text frame sent
    to a MessagePack consumer gets one JSON text error frame (code `unsupported_frame`) and
    the connection stays open.
    """

    name = "msgpack"

    def __init__(self) -> None:
        self.wire = MessagePackWire()

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        """No key transform: return `data` unchanged."""
        return data

    def outgoing(self, data: dict[str, Any]) -> dict[str, Any]:
        """No key transform: return `data` unchanged."""
        return data

    def core_schema(self, schema: Any) -> Any:
        """No schema change: typed messages take pydantic's own path (no dict transform)."""
        return schema
