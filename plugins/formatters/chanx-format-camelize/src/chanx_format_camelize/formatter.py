"""`CamelizeFormatter`: snake_case models, camelCase frames, decided per model field."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel

from chanx_format_camelize.keys import KeyMap, camel, key_map
from chanx_format_camelize.schema import camelize_core_schema

__all__ = ["CamelizeFormatter"]

Transform = Callable[[dict[str, Any]], dict[str, Any]]
Table = list[tuple[str, dict[str, Transform]]]


class CamelizeFormatter:
    """Renames model field names to camelCase on the wire, and back on the way in.

    Schema-aware: only keys that are model field names are renamed; keys inside free-form
    `dict[str, Any]` payloads reach the client and the handler exactly as written. Typed
    frames are renamed by pydantic itself (`core_schema` adds camelCase aliases to the
    consumer's schemas, so validation and serialization stay in Rust). `incoming` and
    `outgoing` are the dict-level equivalents, used for data whose type chanx does not
    know (a relay from a consumer with another wire): `prepare` compiles a key map for every
    message type, matched by its discriminator (`action`); other data is left as is.

    Raises (from `prepare`):
        ValueError: Two fields of one model would have the same camelCase name.
    """

    name = "camelize"

    def __init__(self) -> None:
        self._incoming: Table = []
        self._outgoing: Table = []

    def prepare(
        self, incoming: Sequence[type[BaseModel]], outgoing: Sequence[type[BaseModel]]
    ) -> None:
        """Compile the key maps of the consumer's message types (once, at class creation)."""
        self._incoming = _dispatch_table(incoming, "in")
        self._outgoing = _dispatch_table(outgoing, "out")

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        """camelCase keys of a client frame -> the snake_case field names it validates as."""
        return _dispatch(self._incoming, data)

    def core_schema(self, schema: Any) -> Any:
        """The consumer's pydantic core schema with camelCase aliases on model fields."""
        return camelize_core_schema(schema)

    def outgoing(self, data: dict[str, Any]) -> dict[str, Any]:
        """Camelize a dumped message whose type is not known (a relay from another wire).

        The type is found by its discriminator among the types `prepare` saw; a message
        of any other type is sent unchanged.
        """
        return _dispatch(self._outgoing, data)

    def wire_key(self, name: str) -> str:
        """The wire name of a model field named `name` (for documentation)."""
        return camel(name)


def _dispatch(table: Table, data: dict[str, Any]) -> dict[str, Any]:
    """Apply the transform of the first type `data`'s discriminator matches; else `data`."""
    for wire_key, by_value in table:
        value = data.get(wire_key)
        if type(value) is str:
            transform = by_value.get(value)
            if transform is not None:
                return transform(data)
    return data


def _dispatch_table(types_: Sequence[type[BaseModel]], direction: str) -> Table:
    """Group message types by (wire discriminator key, value) -> their key map's transform."""
    groups: dict[tuple[str, str], list[type[BaseModel]]] = {}
    for message_type in types_:
        field = getattr(message_type, "discriminator_field", "action")
        info = message_type.model_fields.get(field)
        keys = key_map((message_type,))  # compiled here, so collisions fail the class
        if info is None:
            continue
        wire = _wire_key(keys, field, direction)
        for value in _literal_values(info.annotation):
            groups.setdefault((wire, value), []).append(message_type)
    table: dict[str, dict[str, Transform]] = {}
    for (wire, value), members in groups.items():
        merged: KeyMap = key_map(tuple(dict.fromkeys(members)))
        table.setdefault(wire, {})[value] = (
            merged.incoming if direction == "in" else merged.outgoing
        )
    return list(table.items())


def _wire_key(keys: KeyMap, field: str, direction: str) -> str:
    if direction == "out":
        info = keys.models[0].model_fields[field]
        dumped = info.serialization_alias or info.alias or field
        return dumped  # outgoing() sees dumped (not yet renamed) keys
    renamed = {v: k for k, v in keys.from_wire.items()}
    return renamed.get(field, field)


def _literal_values(annotation: Any) -> tuple[str, ...]:
    from chanx.messages.base import discriminator_values

    return discriminator_values(annotation)
