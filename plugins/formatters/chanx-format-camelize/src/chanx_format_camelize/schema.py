"""camelCase aliases written into a pydantic core schema, so pydantic does the renaming.

The consumer validates and serializes with a copy of its messages' core schema in which
every model field without an explicit alias gets `camel(name)` as its serialization alias and
`camel(name)` or `name` as its validation alias. Per message this costs nothing over plain
pydantic (`validate_json`, `to_json` run in Rust); only `model-fields` schemas are touched,
so keys inside free-form values (`dict[str, Any]`, `Any`, typed dicts, dataclasses) are
never renamed. A discriminated union on a renamed field follows the rename.
"""

from __future__ import annotations

from typing import Any

from chanx_format_camelize.keys import camel

__all__ = ["camelize_core_schema"]


def camelize_core_schema(schema: Any) -> Any:
    """A copy of `schema` whose model fields carry camelCase aliases (see the module docs).

    Raises:
        ValueError: Two fields of one model would have the same wire name.
    """
    return _walk(schema)


def _walk(node: Any) -> Any:
    if isinstance(node, list):
        return [_walk(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _walk(value) for key, value in node.items()}
    kind = out.get("type")
    if kind == "model-fields":
        _alias_fields(out)
    elif kind == "tagged-union" and isinstance(out.get("discriminator"), str):
        out["discriminator"] = camel(out["discriminator"])
    return out


def _alias_fields(schema: dict[str, Any]) -> None:
    owner: dict[str, str] = {}
    model = schema.get("model_name", "model")
    for name, field in schema.get("fields", {}).items():
        explicit = "validation_alias" in field or "serialization_alias" in field
        wire = field.get("serialization_alias", name) if explicit else camel(name)
        other = owner.setdefault(wire, name)
        if other != name:
            raise ValueError(
                f"{model}.{other} and {model}.{name} would both be sent as {wire!r} after "
                f"camelizing; rename one or give it an explicit alias."
            )
        if not explicit and wire != name:
            field["serialization_alias"] = wire
            field["validation_alias"] = [[wire], [name]]
    for computed in schema.get("computed_fields", ()):
        if "alias" not in computed:
            computed["alias"] = camel(computed["property_name"])
