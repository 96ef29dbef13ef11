"""Turning frames into validated messages and messages into frames.

A `WireCodec` is composed once per consumer class from the formatters it selected. With no
formatter the fast path is pydantic's own JSON parser and serializer (`validate_json`,
`model_dump_json`); with formatters the frame is parsed to a dict, passed through each
formatter in order, then validated (and the reverse on the way out).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import pydantic_core
from pydantic import TypeAdapter, ValidationError

from chanx.messages.outgoing import ErrorDetail, ErrorMessage, ErrorPayload

if TYPE_CHECKING:
    from chanx.kernel.contracts import Formatter
    from chanx.messages.base import BaseMessage

__all__ = ["FrameError", "MessageDecoder", "WireCodec"]


class FrameError(Exception):
    """A client frame that cannot be served; becomes one error frame, never a closed socket."""

    def __init__(self, code: str, message: str, errors: list[ErrorDetail] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.errors = errors

    def to_message(self) -> ErrorMessage:
        """The error frame the client receives."""
        return ErrorMessage(
            payload=ErrorPayload(code=self.code, message=self.message, errors=self.errors)
        )


class WireCodec:
    """Encodes outgoing messages for one consumer class, through its formatters."""

    __slots__ = ("encode", "encode_data", "formatters", "wire_id")

    def __init__(self, formatters: Sequence[Formatter] = ()) -> None:
        self.formatters = tuple(formatters)
        self.wire_id = "+".join(["json", *(f.name for f in self.formatters)])
        self.encode: Callable[[BaseMessage], str]
        self.encode_data: Callable[[dict[str, Any]], str]
        if not self.formatters:
            self.encode = _encode_plain
            self.encode_data = _dumps
        else:
            outgoing = [f.outgoing for f in self.formatters]

            def encode_data(data: dict[str, Any]) -> str:
                for transform in outgoing:
                    data = transform(data)
                return _dumps(data)

            def encode(message: BaseMessage) -> str:
                return encode_data(message.model_dump(mode="json", by_alias=True))

            self.encode = encode
            self.encode_data = encode_data

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        """Apply the formatters' incoming transforms to a decoded frame."""
        for formatter in self.formatters:
            data = formatter.incoming(data)
        return data


def _encode_plain(message: BaseMessage) -> str:
    return message.model_dump_json(by_alias=True)


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class MessageDecoder:
    """Validates frames against a discriminated union of message types.

    Args:
        adapter: The `TypeAdapter` of the discriminated union, or None when nothing is
            accepted (every frame is then an unknown action).
        field: The discriminator field name, for error messages.
        accepted: The discriminator values accepted, for error messages.
        codec: The consumer's codec; its formatters transform frames before validation.
    """

    __slots__ = ("_adapter", "_codec", "_field", "_unknown", "decode_text")

    def __init__(
        self,
        adapter: TypeAdapter[Any] | None,
        field: str,
        accepted: Sequence[str],
        codec: WireCodec,
    ) -> None:
        self._adapter = adapter
        self._field = field
        self._codec = codec
        expected = ", ".join(sorted(accepted)) or "(none)"
        self._unknown = FrameError(
            "unknown_action", f"Unknown '{field}'. Expected one of: {expected}."
        )
        self.decode_text: Callable[[str | bytes], BaseMessage] = (
            self._decode_fast if adapter is not None and not codec.formatters else self._decode_slow
        )

    def _decode_fast(self, text: str | bytes) -> BaseMessage:
        assert self._adapter is not None
        try:
            return self._adapter.validate_json(text)  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise self._translate(exc) from None

    def _decode_slow(self, text: str | bytes) -> BaseMessage:
        try:
            data = pydantic_core.from_json(text)
        except ValueError:
            raise FrameError("invalid_json", "Frame is not valid JSON.") from None
        return self.decode_data(data)

    def decode_data(self, data: Any) -> BaseMessage:
        """Validate an already-parsed frame or layer event (formatters applied first)."""
        if not isinstance(data, dict):
            raise FrameError("invalid_frame", "Frame must be a JSON object.")
        if self._adapter is None:
            raise self._missing() if self._field not in data else self._unknown
        try:
            return self._adapter.validate_python(self._codec.incoming(data))  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise self._translate(exc) from None

    def _missing(self) -> FrameError:
        return FrameError("missing_action", f"Frame has no '{self._field}' field.")

    def _translate(self, exc: ValidationError) -> FrameError:
        errors = exc.errors(include_url=False, include_input=False, include_context=False)
        first = errors[0]["type"] if errors else ""
        if first == "json_invalid":
            return FrameError("invalid_json", "Frame is not valid JSON.")
        if first in ("dict_type", "model_type", "model_attributes_type") and not errors[0]["loc"]:
            return FrameError("invalid_frame", "Frame must be a JSON object.")
        if first == "union_tag_not_found":
            return self._missing()
        if first == "union_tag_invalid":
            return self._unknown
        details = [
            ErrorDetail(loc=list(error["loc"][1:]), msg=error["msg"], type=error["type"])
            for error in errors
        ]
        return FrameError("invalid_message", "Message failed validation.", details)
