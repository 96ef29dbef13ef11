"""Turning frames into validated messages and messages into frames.

A `WireCodec` is composed once per consumer class from the formatters it selected. With no
formatter the fast path is pydantic's own JSON parser and serializer (`validate_json`,
`model_dump_json`); with formatters the frame is parsed to a dict (by the wire codec a
formatter owns, e.g. MessagePack, else JSON), passed through the formatters in reverse order,
then validated; outgoing messages are dumped, passed through the formatters in order (each
may specialise its transform per message type, once) and written by the wire codec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

import pydantic_core
from pydantic import TypeAdapter, ValidationError
from pydantic_core import SchemaSerializer, SchemaValidator

from chanx.core.safelog import safe_loc
from chanx.messages.outgoing import ErrorDetail, ErrorMessage, ErrorPayload

if TYPE_CHECKING:
    from pydantic import BaseModel

    from chanx.kernel.contracts import Formatter, WireFormat
    from chanx.messages.base import BaseMessage

__all__ = ["Frame", "FrameError", "MessageDecoder", "WireCodec"]


class FrameError(Exception):
    """A client frame that cannot be served; becomes one error frame, never a closed socket."""

    def __init__(
        self,
        code: str,
        message: str,
        errors: list[ErrorDetail] | None = None,
        *,
        text_reply: bool = False,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.errors = errors
        self.text_reply = text_reply
        """Answer in JSON text whatever the consumer's wire (the client cannot read it)."""

    def to_message(self) -> ErrorMessage:
        """The error frame the client receives."""
        return ErrorMessage(
            payload=ErrorPayload(code=self.code, message=self.message, errors=self.errors)
        )


Frame: TypeAlias = str | bytes
Transform: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]


class WireCodec:
    """Encodes outgoing messages for one consumer class, through its formatters and wire.

    Formatters with a `core_schema` rewrite do their work inside pydantic: the codec
    validates and serializes with the rewritten schemas (one serializer per message type,
    built on first use), and calls their `incoming`/`outgoing` only for data whose type is
    not known (`encode_data`). The other formatters transform dicts, in order on the way out
    and in reverse order on the way in.

    Args:
        formatters: The formatter instances the class selected, in order.
        incoming: Message types clients may send (passed to the formatters' `prepare`).
        outgoing: Message types the class declares it sends (likewise).

    Raises:
        TypeError: Two formatters own the wire, or a formatter rejected the types.
        ValueError: A formatter rejected the types.
    """

    __slots__ = (
        "binary",
        "dict_formatters",
        "dumps",
        "encode",
        "encode_data",
        "formatters",
        "incoming",
        "loads",
        "rewrite",
        "wire_id",
        "wire_name",
    )

    def __init__(
        self,
        formatters: Sequence[Formatter] = (),
        *,
        incoming: Sequence[type[BaseModel]] = (),
        outgoing: Sequence[type[BaseModel]] = (),
    ) -> None:
        self.formatters = tuple(formatters)
        owners = [f for f in self.formatters if getattr(f, "wire", None) is not None]
        if len(owners) > 1:
            names = " and ".join(repr(f.name) for f in owners)
            raise TypeError(f"formatters {names} both own the wire codec; select only one.")
        wire: WireFormat | None = owners[0].wire if owners else None  # type: ignore[attr-defined]
        for formatter in self.formatters:
            prepare = getattr(formatter, "prepare", None)
            if prepare is not None:
                prepare(tuple(incoming), tuple(outgoing))
        rewrites = [r for f in self.formatters if (r := getattr(f, "core_schema", None))]
        self.rewrite: Callable[[Any], Any] | None = _chain(rewrites) if rewrites else None
        self.dict_formatters = tuple(f for f in self.formatters if not hasattr(f, "core_schema"))
        self.binary = bool(wire is not None and wire.binary)
        self.wire_name = "JSON" if wire is None else wire.name
        self.wire_id = "+".join(["json"] * (wire is None) + [f.name for f in self.formatters])
        self.loads: Callable[[Frame], Any] = pydantic_core.from_json if wire is None else wire.loads
        self.incoming: Transform = _chain([f.incoming for f in reversed(self.dict_formatters)])
        self.encode: Callable[[BaseMessage], Frame]
        self.encode_data: Callable[[dict[str, Any]], Frame]
        dumps: Callable[[Any], Frame] = _dumps if wire is None else wire.dumps
        self.dumps = dumps
        """Writes an already formatted dict as a frame of this wire."""
        if not self.formatters:
            self.encode, self.encode_data = _encode_plain, _dumps
            return
        everything = _chain([f.outgoing for f in self.formatters])
        self.encode_data = lambda data: dumps(everything(data))
        self.encode = self._typed_encoder(dumps, wire is None)
        for kind in outgoing:
            self.serializer(kind)  # build now: a formatter's objection fails the class

    def serializer(self, kind: type[BaseModel]) -> SchemaSerializer:
        """The serializer of message type `kind`, with the formatters' schema rewrite."""
        if self.rewrite is None:
            return kind.__pydantic_serializer__
        serializer: SchemaSerializer = _fresh(
            SchemaSerializer, self.rewrite(kind.__pydantic_core_schema__)
        )
        return serializer

    def validator(self, adapter: TypeAdapter[Any]) -> TypeAdapter[Any] | RewrittenValidator:
        """What validates frames for `adapter`'s type, with the formatters' schema rewrite."""
        if self.rewrite is None:
            return adapter
        validator: SchemaValidator = _fresh(SchemaValidator, self.rewrite(adapter.core_schema))
        renames = [r for f in self.formatters if callable(r := getattr(f, "wire_key", None))]
        return RewrittenValidator(validator, adapter, _chain(renames) if renames else None)

    def _typed_encoder(
        self, dumps: Callable[[Any], Frame], json_wire: bool
    ) -> Callable[..., Frame]:
        cache: dict[type, SchemaSerializer] = {}
        transform = _chain([f.outgoing for f in self.dict_formatters])
        serializer_of = self.serializer

        if json_wire and not self.dict_formatters:

            def encode_json(message: BaseMessage) -> Frame:
                kind = type(message)
                serializer = cache.get(kind) or cache.setdefault(kind, serializer_of(kind))
                return serializer.to_json(message, by_alias=True).decode()

            return encode_json

        def encode(message: BaseMessage) -> Frame:
            kind = type(message)
            serializer = cache.get(kind) or cache.setdefault(kind, serializer_of(kind))
            data = serializer.to_python(message, mode="json", by_alias=True)
            return dumps(transform(data))

        return encode


class RewrittenValidator:
    """A validator built from a formatter-rewritten schema, shaped like a `TypeAdapter`.

    `validate_json` / `validate_python` are the compiled validator's own methods (no extra
    call per frame); `json_schema` describes the wire names (the formatters' `wire_key`
    applied to the model's field names), for code that checks names in error locations.
    """

    __slots__ = ("_adapter", "_rename", "validate_json", "validate_python")

    def __init__(
        self,
        validator: SchemaValidator,
        adapter: TypeAdapter[Any],
        rename: Callable[[str], str] | None,
    ) -> None:
        self.validate_json = validator.validate_json
        self.validate_python = validator.validate_python
        self._adapter = adapter
        self._rename = rename

    def json_schema(self, by_alias: bool = True) -> dict[str, Any]:
        """The original JSON schema, plus the wire names of its properties when renamed."""
        schema = self._adapter.json_schema(by_alias=by_alias)
        if self._rename is None:
            return schema
        names: set[str] = set()
        _property_names(schema, names)
        return {"anyOf": [schema, {"properties": {self._rename(n): {} for n in sorted(names)}}]}


def _property_names(node: Any, names: set[str]) -> None:
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            names.update(str(key) for key in properties)
        for value in node.values():
            _property_names(value, names)
    elif isinstance(node, list):
        for value in node:
            _property_names(value, names)


def _fresh(kind: Callable[..., Any], schema: Any) -> Any:
    """Build from `schema` itself: pydantic-core >= 2.27 would reuse a model class's own
    (un-rewritten) validator or serializer for a `model` schema unless told not to."""
    try:
        return kind(schema, None, _use_prebuilt=False)
    except TypeError:  # an older pydantic-core, which never reuses them
        return kind(schema)


def _chain(steps: Sequence[Callable[[Any], Any]]) -> Callable[[Any], Any]:
    if len(steps) == 1:
        return steps[0]

    def chained(data: Any) -> Any:
        for step in steps:
            data = step(data)
        return data

    return chained


def _encode_plain(message: BaseMessage) -> str:
    return message.model_dump_json(by_alias=True)


def _dumps(data: Any) -> str:
    return pydantic_core.to_json(data).decode()


class MessageDecoder:
    """Validates frames against a discriminated union of message types.

    Args:
        adapter: The `TypeAdapter` of the discriminated union, or None when nothing is
            accepted (every frame is then an unknown action).
        field: The discriminator field name, for error messages.
        accepted: The discriminator values accepted, for error messages.
        codec: The consumer's codec; its formatters transform frames before validation.
    """

    __slots__ = ("_adapter", "_codec", "_field", "_unknown", "decode_binary", "decode_text")

    def __init__(
        self,
        adapter: TypeAdapter[Any] | None,
        field: str,
        accepted: Sequence[str],
        codec: WireCodec,
    ) -> None:
        self._adapter = None if adapter is None else codec.validator(adapter)
        self._field = field
        self._codec = codec
        expected = ", ".join(sorted(accepted)) or "(none)"
        self._unknown = FrameError(
            "unknown_action", f"Unknown '{field}'. Expected one of: {expected}."
        )
        fast = adapter is not None and not codec.dict_formatters and codec.wire_name == "JSON"
        self.decode_text: Callable[[Frame], BaseMessage]
        self.decode_binary: Callable[[Frame], BaseMessage]
        if codec.binary:
            self.decode_text, self.decode_binary = self._refuse_text, self._decode_slow
        else:
            self.decode_text = self._decode_fast if fast else self._decode_slow
            self.decode_binary = self._refuse_binary

    def _decode_fast(self, text: Frame) -> BaseMessage:
        assert self._adapter is not None
        try:
            return self._adapter.validate_json(text)  # type: ignore[no-any-return]
        except ValidationError as exc:
            raise self._translate(exc) from None

    def _decode_slow(self, frame: Frame) -> BaseMessage:
        try:
            data = self._codec.loads(frame)
        except ValueError:
            raise self._invalid() from None
        return self.decode_data(data)

    def _invalid(self) -> FrameError:
        name = self._codec.wire_name
        code = "invalid_json" if name == "JSON" else "invalid_frame"
        return FrameError(code, f"Frame is not valid {name}.")

    def _refuse_text(self, frame: Frame) -> BaseMessage:
        name = self._codec.wire_name
        raise FrameError(
            "unsupported_frame",
            f"This endpoint speaks {name}: send binary {name} frames, not text.",
            text_reply=True,
        )

    def _refuse_binary(self, frame: Frame) -> BaseMessage:
        name = self._codec.wire_name
        raise FrameError("invalid_frame", f"Binary frames are not accepted; send {name} text.")

    def decode_data(self, data: Any) -> BaseMessage:
        """Validate an already-parsed frame or layer event (formatters applied first)."""
        if not isinstance(data, dict):
            kind = "object" if self._codec.wire_name == "JSON" else "map"
            raise FrameError("invalid_frame", f"Frame must be a {self._codec.wire_name} {kind}.")
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
            return self._invalid()
        if first in ("dict_type", "model_type", "model_attributes_type") and not errors[0]["loc"]:
            return FrameError("invalid_frame", "Frame must be a JSON object.")
        if first == "union_tag_not_found":
            return self._missing()
        if first == "union_tag_invalid":
            return self._unknown
        details = [
            ErrorDetail(
                loc=safe_loc(error["loc"][1:], self._adapter), msg=error["msg"], type=error["type"]
            )
            for error in errors
        ]
        return FrameError("invalid_message", "Message failed validation.", details)
