"""JSON schemas and examples of message types, in their wire shape.

Schemas come from pydantic (`models_json_schema`, validation mode for what clients send,
serialization mode for what they receive). A consumer whose formatters rename keys (camelize)
gets schemas whose property names are the wire names: the rename is read from a formatter's
`wire_key(name)` method when it has one, else probed by passing `{name: None}` through its
`outgoing()` transform.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, cast

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chanx.asyncapi.model import SCHEMA_REF_PREFIX

__all__ = ["KeyRename", "example_of", "key_rename", "model_schemas"]

KeyRename = Callable[[str], str]
Mode = Literal["validation", "serialization"]
_MAX_DEPTH = 12
_STRING_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
    "duration": "PT1S",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "ipv4": "127.0.0.1",
}


def key_rename(formatters: Sequence[Any]) -> KeyRename | None:
    """How the formatters rename object keys on the wire, or None when they do not.

    Args:
        formatters: The consumer's formatter instances, in order.
    """
    steps: list[KeyRename] = []
    for formatter in formatters:
        explicit = getattr(formatter, "wire_key", None)
        steps.append(cast("KeyRename", explicit) if callable(explicit) else _prober(formatter))

    def rename(name: str) -> str:
        for step in steps:
            name = step(name)
        return name

    probe = ("snake_case_key", "camelCaseKey", "a_b_c", "payload")
    return rename if steps and any(rename(k) != k for k in probe) else None


def _prober(formatter: Any) -> KeyRename:
    def probe(name: str) -> str:
        try:
            out = formatter.outgoing({name: None})
        except Exception:
            return name
        if isinstance(out, dict) and len(out) == 1:
            (key,) = out
            if isinstance(key, str):
                return key
        return name

    return probe


def model_schemas(
    models: Sequence[tuple[type[BaseModel], Mode]], rename: KeyRename | None
) -> tuple[dict[tuple[type[BaseModel], Mode], str], dict[str, dict[str, Any]]]:
    """Schemas of `models` and everything they reference.

    Args:
        models: `(model, mode)` pairs, in a stable order.
        rename: The wire key rename, or None.

    Returns:
        The schema key of each `(model, mode)`, and every schema by key, references written
        `#/components/schemas/<key>`.
    """
    if not models:
        return {}, {}
    refs, top = models_json_schema(models, ref_template=SCHEMA_REF_PREFIX + "{model}")
    defs: dict[str, dict[str, Any]] = top.get("$defs", {})
    if rename is not None:
        defs = {key: _renamed(schema, rename) for key, schema in defs.items()}
    keys: dict[tuple[type[BaseModel], Mode], str] = {
        (model, mode): ref["$ref"].removeprefix(SCHEMA_REF_PREFIX)
        for (model, mode), ref in refs.items()
        if isinstance(model, type) and issubclass(model, BaseModel)
    }
    return keys, defs


def _renamed(schema: Any, rename: KeyRename) -> Any:
    if isinstance(schema, list):
        return [_renamed(item, rename) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {rename(name): _renamed(sub, rename) for name, sub in value.items()}
        elif key == "required" and isinstance(value, list):
            out[key] = [rename(name) for name in value]
        elif key in ("const", "default", "enum", "examples", "example"):
            out[key] = copy.deepcopy(value)
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = {**value, "propertyName": rename(value.get("propertyName", ""))}
        else:
            out[key] = _renamed(value, rename)
    return out


def example_of(schema: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]) -> Any:
    """An example value that validates against `schema` (defaults and literals preferred).

    Args:
        schema: A JSON schema.
        schemas: The schemas its `$ref`s point into, by key.
    """
    return _example(schema, schemas, 0)


def _example(
    schema: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]], depth: int
) -> Any:
    if depth > _MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = schemas.get(ref.removeprefix(SCHEMA_REF_PREFIX), {})
        return _example(target, schemas, depth + 1)
    for key in ("const", "default"):
        if key in schema:
            return copy.deepcopy(schema[key])
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return copy.deepcopy(schema["examples"][0])
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return copy.deepcopy(schema["enum"][0])
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            concrete = [o for o in options if o.get("type") != "null"] or options
            return _example(concrete[0], schemas, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _example(part, schemas, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _typed_example(kind, schema, schemas, depth)


def _typed_example(
    kind: Any, schema: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]], depth: int
) -> Any:
    if kind == "object" or (kind is None and "properties" in schema):
        props = schema.get("properties", {})
        return {name: _example(sub, schemas, depth + 1) for name, sub in props.items()}
    if kind == "array":
        prefix = schema.get("prefixItems")
        if isinstance(prefix, list):
            return [_example(item, schemas, depth + 1) for item in prefix]
        items = schema.get("items")
        count = max(int(schema.get("minItems", 1)), 1)
        return [_example(items, schemas, depth + 1)] * count if isinstance(items, dict) else []
    if kind == "string":
        text = _STRING_FORMATS.get(str(schema.get("format")), "string")
        low, high = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(text) < low:
            text = text + "x" * (low - len(text))
        return text[: int(high)] if isinstance(high, int) else text
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        value = 0 if low is None else low + (1 if "exclusiveMinimum" in schema else 0)
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None
