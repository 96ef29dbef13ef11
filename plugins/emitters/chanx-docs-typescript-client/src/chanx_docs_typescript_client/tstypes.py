"""JSON Schema (as pydantic writes it) to TypeScript types, interfaces and aliases."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping
from typing import Any

from chanx.asyncapi.clients import pascal_case
from chanx.asyncapi.model import SCHEMA_REF_PREFIX

__all__ = ["TsTypes", "comment"]

_SCALARS = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def comment(text: str | None, indent: str = "") -> list[str]:
    """A `/** ... */` doc comment, wrapped; empty when there is no text."""
    if not text:
        return []
    flat = " ".join(text.replace("*/", "* /").split())
    lines = textwrap.wrap(flat, width=96 - len(indent))
    if len(lines) == 1:
        return [f"{indent}/** {lines[0]} */"]
    return [f"{indent}/**", *(f"{indent} * {line}" for line in lines), f"{indent} */"]


class TsTypes:
    """Writes the component schemas one channel module needs as TypeScript declarations.

    Args:
        schemas: The component schemas, by key.
        names: The TypeScript name of each key (identical schemas may share one).
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]) -> None:
        self.schemas = schemas
        self.names = names

    def type_of(self, schema: Any) -> str:
        """The TypeScript type of `schema`."""
        if not isinstance(schema, dict) or not schema:
            return "unknown"
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
            key = ref.removeprefix(SCHEMA_REF_PREFIX)
            return self.names.get(key, pascal_case(key))
        if "const" in schema:
            return json.dumps(schema["const"])
        if isinstance(schema.get("enum"), list):
            return " | ".join(json.dumps(v) for v in schema["enum"]) or "never"
        for combiner in ("anyOf", "oneOf"):
            if isinstance(schema.get(combiner), list):
                return self._union([self.type_of(m) for m in schema[combiner]])
        if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            return self.type_of(schema["allOf"][0])
        kind = schema.get("type")
        if isinstance(kind, list):
            return self._union([self.type_of({**schema, "type": k}) for k in kind])
        if kind == "array":
            prefix = schema.get("prefixItems")
            if not isinstance(prefix, list) and isinstance(schema.get("items"), list):
                prefix = schema["items"]
            if isinstance(prefix, list):
                return "[" + ", ".join(self.type_of(item) for item in prefix) + "]"
            item = self.type_of(schema.get("items"))
            return f"Array<{item}>"
        if kind == "object":
            extra = schema.get("additionalProperties")
            if isinstance(schema.get("properties"), dict) and schema["properties"]:
                return self._inline(schema)
            return (
                f"Record<string, {self.type_of(extra) if isinstance(extra, dict) else 'unknown'}>"
            )
        return _SCALARS.get(str(kind), "unknown")

    def _union(self, parts: list[str]) -> str:
        unique = list(dict.fromkeys(parts))
        if "unknown" in unique:
            return "unknown"
        return " | ".join(unique)

    def _inline(self, schema: Mapping[str, Any]) -> str:
        required = set(schema.get("required", []))
        fields = [
            f"{_key(name)}{'' if name in required else '?'}: {self.type_of(prop)}"
            for name, prop in schema["properties"].items()
        ]
        return "{ " + "; ".join(fields) + " }"

    def declaration(self, key: str) -> list[str]:
        """`export interface Name { ... }` (objects) or `export type Name = ...;`."""
        schema = self.schemas[key]
        name = self.names[key]
        lines = comment(schema.get("description") or schema.get("title"))
        properties = schema.get("properties")
        if schema.get("type") != "object" or not isinstance(properties, dict):
            return [*lines, f"export type {name} = {self.type_of(schema)};"]
        required = set(schema.get("required", []))
        lines.append(f"export interface {name} {{")
        for wire, prop in properties.items():
            if isinstance(prop, dict):
                lines += comment(prop.get("description"), "  ")
            optional = "" if wire in required else "?"
            lines.append(f"  {_key(wire)}{optional}: {self.type_of(prop)};")
        return [*lines, "}"]


def _key(name: str) -> str:
    return name if _IDENTIFIER.match(name) else json.dumps(name)
