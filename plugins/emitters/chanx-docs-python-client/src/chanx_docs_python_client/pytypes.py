"""JSON Schema (as pydantic writes it) to Python annotations and pydantic model source."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from chanx.asyncapi.clients import snake_case, type_names
from chanx.asyncapi.model import SCHEMA_REF_PREFIX

__all__ = ["TypeWriter", "py_literal"]

_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}
_MODEL_ATTRIBUTES = frozenset(dir(BaseModel))
_RESERVED = {"Model", "Any", "Annotated", "ClassVar", "Field", "Literal", "TypeAdapter", "Union"}


def py_literal(value: Any) -> str:
    """`value` (JSON data) as Python source, with double-quoted strings as ruff writes them."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        items = ", ".join(f"{json.dumps(str(k))}: {py_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise TypeError(f"not JSON data: {value!r}")


class TypeWriter:
    """Writes the component schemas of one module as Python classes and aliases.

    Args:
        schemas: Every component schema of the model, by key.
        taken: Names the module already uses (client classes, unions).
    """

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]], taken: set[str]) -> None:
        self.schemas = schemas
        self.canonical, self.names = type_names(schemas, taken | _RESERVED)
        """Key -> the key whose class it uses (identical schemas share one class), and
        key -> class name."""

    def annotation(self, schema: Any) -> str:
        """The Python annotation of `schema` (referenced classes by name)."""
        if not isinstance(schema, dict) or not schema:
            return "Any"
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(SCHEMA_REF_PREFIX):
            return self.names[ref.removeprefix(SCHEMA_REF_PREFIX)]
        if "const" in schema:
            return f"Literal[{py_literal(schema['const'])}]"
        if isinstance(schema.get("enum"), list):
            values = [v for v in schema["enum"] if v is not None]
            text = f"Literal[{', '.join(py_literal(v) for v in values)}]" if values else "None"
            return text + (" | None" if values and None in schema["enum"] else "")
        for combiner in ("anyOf", "oneOf"):
            if isinstance(schema.get(combiner), list):
                return self._union(schema[combiner], schema.get("discriminator"))
        if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1:
            return self.annotation(schema["allOf"][0])
        kind = schema.get("type")
        if isinstance(kind, list):
            return self._union([{**schema, "type": k} for k in kind], None)
        if kind == "array":
            if isinstance(schema.get("prefixItems"), list):
                items = [self.annotation(item) for item in schema["prefixItems"]]
                return f"tuple[{', '.join(items) or '()'}]"
            return f"list[{self.annotation(schema.get('items'))}]"
        if kind == "object":
            extra = schema.get("additionalProperties")
            value = self.annotation(extra) if isinstance(extra, dict) else "Any"
            return f"dict[str, {value}]"
        return _SCALARS.get(str(kind), "Any")

    def _union(self, members: list[Any], discriminator: Any) -> str:
        parts: list[str] = []
        for member in members:
            text = self.annotation(member)
            if text not in parts:
                parts.append(text)
        if "Any" in parts:
            return "Any"
        if "None" in parts:
            parts = [p for p in parts if p != "None"] + ["None"]
        text = " | ".join(parts)
        field = discriminator.get("propertyName") if isinstance(discriminator, dict) else None
        if isinstance(field, str) and len(parts) > 1:
            return f"Annotated[{text}, Field(discriminator={json.dumps(snake_case(field))})]"
        return text

    def definition(self, key: str) -> str:
        """Source of the class (or type alias) for component schema `key`."""
        schema = self.schemas[key]
        name = self.names[key]
        if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
            return f"{name} = {self.annotation(schema)}\n"
        lines = [f"class {name}(Model):"]
        lines += _docstring(schema.get("description") or schema.get("title") or name, "    ")
        required = set(schema.get("required", []))
        fields: set[str] = set()
        for wire, prop in schema["properties"].items():
            field = snake_case(wire)
            while field in fields or field in _MODEL_ATTRIBUTES or field.startswith("model_"):
                field += "_"
            fields.add(field)
            if len(fields) == 1:
                lines.append("")
            lines += self._field(field, wire, prop, wire in required)
        return "\n".join(lines) + "\n"

    def _field(self, field: str, wire: str, prop: Any, required: bool) -> list[str]:
        annotation = self.annotation(prop)
        has_default = isinstance(prop, dict) and "default" in prop
        default: str | None = None
        if has_default:
            default = py_literal(prop["default"])
        elif not required:
            default = "None"
            if annotation != "Any" and not annotation.endswith("None"):
                annotation += " | None"
        if field == wire:
            head = f"    {field}: {annotation}"
            return [head if default is None else f"{head} = {default}"]
        arguments = [] if default is None else [f"default={default}"]
        arguments += [
            f"validation_alias={json.dumps(wire)}",
            f"serialization_alias={json.dumps(wire)}",
        ]
        return [
            f"    {field}: {annotation} = Field(",
            *(f"        {a}," for a in arguments),
            "    )",
        ]


def _docstring(text: str, indent: str) -> list[str]:
    text = " ".join(text.replace('"""', "'''").replace("\\", "\\\\").split())
    wrapped = textwrap.wrap(text, width=92 - len(indent)) or [""]
    if wrapped[-1].endswith('"'):
        wrapped[-1] += " "
    if len(wrapped) == 1 and len(wrapped[0]) + len(indent) + 6 <= 100:
        return [f'{indent}"""{wrapped[0]}"""']
    return [
        f'{indent}"""{wrapped[0]}',
        *(f"{indent}{line}" for line in wrapped[1:]),
        f'{indent}"""',
    ]
