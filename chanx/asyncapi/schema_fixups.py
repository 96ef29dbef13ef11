"""Fix-ups applied to the AsyncAPI model's schemas once every channel is built.

Schemas of several wire variants share one namespace (clashes are suffixed with the wire
id); the discriminator field is listed as required; the `error` frame's codes are described.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from chanx.asyncapi.model import SCHEMA_REF_PREFIX, ChannelDoc, MessageDoc
from chanx.asyncapi.naming import UNSAFE_KEY
from chanx.asyncapi.schemas import Mode
from chanx.messages.outgoing import ErrorMessage

__all__ = [
    "ERROR_CODES",
    "document_error_codes",
    "merge_wire_schemas",
    "require_discriminators",
    "suffix_refs",
]

Pair = tuple[type[BaseModel], Mode]


ERROR_CODES: Mapping[str, str] = {
    "invalid_json": "the frame is not valid JSON",
    "invalid_frame": "the frame is not an object, or a binary frame reached a JSON consumer",
    "unsupported_frame": "a text frame reached a binary (e.g. MessagePack) consumer",
    "missing_action": "the frame has no discriminator field",
    "unknown_action": "no handler serves the frame's discriminator value",
    "invalid_message": "the frame failed validation; `errors` says where",
    "internal_error": "the handler raised; details are in the server log only",
}
"""The `code`s of the `error` frame chanx itself sends; applications may add their own."""


def merge_wire_schemas(
    schemas: dict[str, dict[str, Any]],
    keys: dict[Pair, str],
    defs: dict[str, dict[str, Any]],
    wire_id: str,
) -> tuple[dict[Pair, str], dict[str, dict[str, Any]]]:
    """Add one wire variant's schemas; on a clash, suffix all of them with the wire id."""
    if all(schemas.get(key, schema) == schema for key, schema in defs.items()):
        schemas.update(defs)
        return keys, defs
    suffix = "_" + UNSAFE_KEY.sub("_", wire_id.removeprefix("json+"))
    renamed = {key + suffix: suffix_refs(schema, suffix) for key, schema in defs.items()}
    schemas.update(renamed)
    return {pair: key + suffix for pair, key in keys.items()}, renamed


def suffix_refs(schema: Any, suffix: str) -> Any:
    if isinstance(schema, list):
        return [suffix_refs(item, suffix) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: suffix_refs(value, suffix) for key, value in schema.items()}
    if isinstance(out.get("$ref"), str) and out["$ref"].startswith(SCHEMA_REF_PREFIX):
        out["$ref"] += suffix
    if isinstance(out.get("discriminator"), dict) and isinstance(
        out["discriminator"].get("mapping"), dict
    ):
        mapping = out["discriminator"]["mapping"]
        out["discriminator"] = {
            **out["discriminator"],
            "mapping": {k: v + suffix for k, v in mapping.items()},
        }
    return out


def require_discriminators(
    schemas: dict[str, dict[str, Any]],
    messages: Mapping[str, MessageDoc],
    channels: list[ChannelDoc],
) -> None:
    """List each message's discriminator field in `required`: the server rejects a frame
    without it, even though the model gives it a default."""
    field_of = {key: c.discriminator for c in channels for key in c.messages}
    for key, message in messages.items():
        schema = schemas.get(message.schema)
        field = field_of.get(key, "action")
        if message.name is None or schema is None or field not in schema.get("properties", {}):
            continue
        required = list(schema.get("required", []))
        if field not in required:
            schema["required"] = [field, *required]


def document_error_codes(
    schemas: dict[str, dict[str, Any]], messages: Mapping[str, MessageDoc]
) -> None:
    """Describe the codes of the `error` frame's payload on its `code` property."""
    listing = "; ".join(f"`{code}`: {meaning}" for code, meaning in ERROR_CODES.items())
    for message in messages.values():
        if message.title != ErrorMessage.__name__:
            continue
        payload = schemas.get(message.schema, {}).get("properties", {}).get("payload", {})
        target = str(payload.get("$ref", "")).removeprefix(SCHEMA_REF_PREFIX)
        code = schemas.get(target, {}).get("properties", {}).get("code")
        if isinstance(code, dict):
            code["description"] = (
                f"What went wrong. chanx sends {listing}. Applications may send their own codes."
            )
            code["examples"] = list(ERROR_CODES)
