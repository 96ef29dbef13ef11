"""msgpack passes the formatter contract every formatter passes."""

from __future__ import annotations

from typing import Any, ClassVar

import msgpack

from chanx.testing.formatter_contract import FormatterContract


class TestMsgpackContract(FormatterContract):
    formatter_name = "msgpack"
    malformed_frame: ClassVar[str | bytes] = b"\xc1"  # a byte MessagePack never uses

    def client_dumps(self, data: Any) -> bytes:
        frame: bytes = msgpack.packb(data)
        return frame

    def client_loads(self, frame: str | bytes) -> Any:
        assert isinstance(frame, bytes), f"expected a binary frame, got text {frame!r}"
        return msgpack.unpackb(frame)
