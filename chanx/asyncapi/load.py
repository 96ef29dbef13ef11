"""Reading an AsyncAPI 3 document back into the neutral `ApiModel`.

`chanx client --from FILE|URL` generates clients from a document instead of an application:
one that chanx wrote (every `x-chanx-*` extension is read back, so the clients are the same
as from the application), or another AsyncAPI 3 document whose channels, operations and
messages follow the same shape (messages and payloads as `$ref`s or inline).
"""

from __future__ import annotations

import importlib
import json
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from chanx.asyncapi.model import (
    SCHEMA_REF_PREFIX,
    ApiModel,
    ChannelDoc,
    MessageDoc,
    OperationDoc,
    ParameterDoc,
)

__all__ = ["model_from_asyncapi", "read_document"]

_MESSAGES = "#/components/messages/"


def read_document(source: str, *, timeout: float = 30.0) -> dict[str, Any]:
    """Load an AsyncAPI document from a path or an `http(s)://` URL (JSON, or YAML).

    Raises:
        ValueError: The document is neither JSON nor YAML, or not an object.
        OSError: It cannot be read.
    """
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=timeout) as response:
            text = response.read().decode("utf-8")
    else:
        text = Path(source).read_text(encoding="utf-8")
    try:
        document: Any = json.loads(text)
    except ValueError:
        try:
            yaml: Any = importlib.import_module("yaml")
        except ImportError as exc:
            raise ValueError(
                f'{source}: not JSON; reading YAML needs PyYAML: pip install "chanx[yaml]"'
            ) from exc
        document = yaml.safe_load(text)
    if not isinstance(document, dict) or not str(document.get("asyncapi", "")).startswith("3."):
        raise ValueError(f"{source}: not an AsyncAPI 3 document")
    return document


def model_from_asyncapi(document: Mapping[str, Any]) -> ApiModel:
    """The `ApiModel` an AsyncAPI 3 document describes (see the module docstring)."""
    info = document.get("info", {})
    components = document.get("components", {})
    schemas: dict[str, Any] = {
        key: _model_schema(schema) for key, schema in components.get("schemas", {}).items()
    }
    messages: dict[str, MessageDoc] = {}
    for key, message in components.get("messages", {}).items():
        messages[key] = _message(key, message, schemas)
    channels = []
    for key, channel in document.get("channels", {}).items():
        carried: dict[str, str] = {}
        for local, entry in channel.get("messages", {}).items():
            ref = entry.get("$ref", "") if isinstance(entry, dict) else ""
            if ref.startswith(_MESSAGES):
                carried[local] = ref.removeprefix(_MESSAGES)
            else:
                carried[local] = f"{key}.{local}"
                messages[carried[local]] = _message(carried[local], entry, schemas)
        operations = [
            _operation(op_key, op, carried)
            for op_key, op in document.get("operations", {}).items()
            if op.get("channel", {}).get("$ref") == f"#/channels/{key}"
        ]
        operations.sort(key=lambda op: (op.action != "receive", op.name, op.key))
        wire = str(channel.get("x-chanx-wire", "json"))
        channels.append(
            ChannelDoc(
                key=key,
                title=str(channel.get("title") or key),
                address=str(channel.get("address") or "/"),
                parameters=tuple(
                    ParameterDoc(name, str(p.get("description", "")), p.get("pattern"))
                    for name, p in channel.get("parameters", {}).items()
                ),
                description=channel.get("description"),
                tags=tuple(t["name"] for t in channel.get("tags", [])),
                consumer="",
                operations=tuple(operations),
                messages=tuple(sorted(set(carried.values()))),
                discriminator=str(channel.get("x-chanx-discriminator", "action")),
                wire=wire,
                binary=bool(channel.get("x-chanx-binary", False)),
                completion=bool(channel.get("x-chanx-completion", False)),
                topic_of=channel.get("x-chanx-topic-of"),
            )
        )
    return ApiModel(
        title=str(info.get("title", "API")),
        version=str(info.get("version", "1.0.0")),
        description=info.get("description"),
        channels=tuple(sorted(channels, key=lambda c: c.key)),
        messages=dict(sorted(messages.items())),
        schemas=dict(sorted(schemas.items())),
        servers={name: _server_url(s) for name, s in sorted(document.get("servers", {}).items())},
    )


def _message(key: str, message: Mapping[str, Any], schemas: dict[str, Any]) -> MessageDoc:
    payload = message.get("payload", {})
    ref = payload.get("$ref", "") if isinstance(payload, dict) else ""
    if ref.startswith(SCHEMA_REF_PREFIX):
        schema = ref.removeprefix(SCHEMA_REF_PREFIX)
    else:
        schema = key
        schemas[key] = _model_schema(payload)
    examples = message.get("examples") or [{}]
    return MessageDoc(
        key=key,
        name=message.get("name"),
        title=str(message.get("title") or key),
        summary=message.get("summary"),
        description=message.get("description") or message.get("summary"),
        schema=schema,
        example=examples[0].get("payload"),
    )


def _operation(key: str, op: Mapping[str, Any], carried: Mapping[str, str]) -> OperationDoc:
    def messages(entries: Any) -> tuple[str, ...]:
        found = []
        for entry in entries or []:
            local = str(entry.get("$ref", "")).rpartition("/messages/")[2]
            if local in carried:
                found.append(carried[local])
        return tuple(found)

    action: Literal["receive", "send"] = "receive" if op.get("action") == "receive" else "send"
    return OperationDoc(
        key=key,
        action=action,
        name=str(op.get("title") or key.rpartition(".")[2]),
        method=str(op.get("x-chanx-handler", "")),
        summary=op.get("summary"),
        description=op.get("description"),
        tags=tuple(t["name"] for t in op.get("tags", [])),
        messages=messages(op.get("messages")),
        replies=messages((op.get("reply") or {}).get("messages")),
        passthrough=bool(op.get("x-chanx-passthrough", False)),
    )


def _model_schema(schema: Any) -> Any:
    """Undo the AsyncAPI adaptation: a `discriminator` string becomes pydantic's object."""
    if isinstance(schema, list):
        return [_model_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _model_schema(value) for key, value in schema.items()}
    if isinstance(schema.get("discriminator"), str):
        out["discriminator"] = {"propertyName": schema["discriminator"]}
    return out


def _server_url(server: Mapping[str, Any]) -> str:
    return f"{server.get('protocol', 'ws')}://{server.get('host', '')}{server.get('pathname', '')}"
