"""AsyncAPI 3: the document as a dict, and the JSON and YAML emitters.

Schemas are adapted from pydantic's JSON Schema to the AsyncAPI Schema Object:
`discriminator` becomes the plain property-name string AsyncAPI expects (pydantic writes
OpenAPI's `{"propertyName", "mapping"}` object), and 2020-12 `prefixItems` become draft-07
tuple `items`. Operations reference the messages of their channel, as version 3 requires.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

from chanx.asyncapi.model import ApiModel, ChannelDoc, OperationDoc
from chanx.kernel.install import install_hint

__all__ = ["ASYNCAPI_VERSION", "AsyncApiJsonEmitter", "AsyncApiYamlEmitter", "to_asyncapi3"]

ASYNCAPI_VERSION = "3.1.0"
CONTENT_TYPE = "application/json"


def to_asyncapi3(model: ApiModel) -> dict[str, Any]:
    """The AsyncAPI 3 document of `model`, as plain JSON-compatible data.

    Args:
        model: The neutral API model.
    """
    info: dict[str, Any] = {"title": model.title, "version": model.version}
    if model.description:
        info["description"] = model.description
    document: dict[str, Any] = {"asyncapi": ASYNCAPI_VERSION, "info": info}
    if model.servers:
        document["servers"] = {name: _server(url) for name, url in model.servers.items()}
    document["defaultContentType"] = CONTENT_TYPE
    document["channels"] = {channel.key: _channel(channel) for channel in model.channels}
    document["operations"] = {
        op.key: _operation(channel, op) for channel in model.channels for op in channel.operations
    }
    messages: dict[str, Any] = {}
    for key, message in model.messages.items():
        entry: dict[str, Any] = {}
        if message.name:
            entry["name"] = message.name
        entry["title"] = message.title
        if message.summary:
            entry["summary"] = message.summary
        if message.description and message.description != message.summary:
            entry["description"] = message.description
        entry["contentType"] = message.content_type
        entry["payload"] = {"$ref": f"#/components/schemas/{message.schema}"}
        entry["examples"] = [{"name": message.name or key, "payload": message.example}]
        messages[key] = entry
    schemas = {key: asyncapi_schema(schema) for key, schema in model.schemas.items()}
    document["components"] = {"schemas": schemas, "messages": messages}
    return document


def _server(url: str) -> dict[str, Any]:
    protocol, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    server: dict[str, Any] = {"host": host, "protocol": protocol or "ws"}
    if slash and path:
        server["pathname"] = "/" + path.rstrip("/")
    return server


def _channel(channel: ChannelDoc) -> dict[str, Any]:
    entry: dict[str, Any] = {"address": channel.address, "title": channel.title}
    if channel.description:
        entry["description"] = channel.description
    entry["messages"] = {key: {"$ref": f"#/components/messages/{key}"} for key in channel.messages}
    if channel.parameters:
        entry["parameters"] = {p.name: {"description": p.description} for p in channel.parameters}
    if channel.tags:
        entry["tags"] = [{"name": tag} for tag in channel.tags]
    if channel.wire != "json":
        entry["x-chanx-wire"] = channel.wire
    if channel.discriminator != "action":
        entry["x-chanx-discriminator"] = channel.discriminator
    if channel.binary:
        entry["x-chanx-binary"] = True
    if channel.completion:
        entry["x-chanx-completion"] = True
    if channel.topic_of is not None:
        entry["x-chanx-topic-of"] = channel.topic_of
    return entry


def _operation(channel: ChannelDoc, op: OperationDoc) -> dict[str, Any]:
    ref = f"#/channels/{channel.key}"
    entry: dict[str, Any] = {"action": op.action, "channel": {"$ref": ref}, "title": op.name}
    if op.summary:
        entry["summary"] = op.summary
    if op.description:
        entry["description"] = op.description
    if op.tags:
        entry["tags"] = [{"name": tag} for tag in op.tags]
    entry["messages"] = [{"$ref": f"{ref}/messages/{key}"} for key in op.messages]
    if op.replies:
        entry["reply"] = {
            "channel": {"$ref": ref},
            "messages": [{"$ref": f"{ref}/messages/{key}"} for key in op.replies],
        }
    if op.method:
        entry["x-chanx-handler"] = op.method
    if op.passthrough:
        entry["x-chanx-passthrough"] = True
    return entry


def asyncapi_schema(schema: Any) -> Any:
    """Adapt a pydantic JSON schema to the AsyncAPI Schema Object (see the module docstring).

    Args:
        schema: A JSON schema (or part of one).
    """
    if isinstance(schema, list):
        return [asyncapi_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ("const", "default", "enum", "examples", "example"):
            out[key] = value
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = value.get("propertyName", "")
        elif key == "items" and "prefixItems" in schema:
            continue  # becomes additionalItems below
        elif key == "prefixItems" and isinstance(value, list):
            out["items"] = asyncapi_schema(value)
        else:
            out[key] = asyncapi_schema(value)
    if "prefixItems" in schema and isinstance(schema.get("items"), dict | bool):
        out["additionalItems"] = asyncapi_schema(schema["items"])
    return out


class AsyncApiJsonEmitter:
    """The `asyncapi-json` emitter: AsyncAPI 3 as indented, key-ordered JSON."""

    name = "asyncapi-json"
    media_type = "application/json"
    suffix = ".json"

    def emit(self, model: ApiModel) -> str:
        """Render `model` as an AsyncAPI 3 JSON document (ends with a newline)."""
        return json.dumps(to_asyncapi3(model), indent=2, ensure_ascii=False) + "\n"


class AsyncApiYamlEmitter:
    """The `asyncapi-yaml` emitter: AsyncAPI 3 as YAML (needs PyYAML: `chanx[yaml]`)."""

    name = "asyncapi-yaml"
    media_type = "application/yaml"
    suffix = ".yaml"

    def __init__(self) -> None:
        try:
            yaml: Any = importlib.import_module("yaml")
        except ImportError as exc:
            raise ImportError(
                f"The asyncapi-yaml emitter needs PyYAML: {install_hint('yaml')}"
            ) from exc
        self._yaml = yaml

    def emit(self, model: ApiModel) -> str:
        """Render `model` as an AsyncAPI 3 YAML document."""
        text: str = self._yaml.safe_dump(
            to_asyncapi3(model), sort_keys=False, allow_unicode=True, width=100
        )
        return text
