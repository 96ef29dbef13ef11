"""The neutral API model: what the documentation says, independent of any AsyncAPI version.

`chanx.asyncapi.build.build_api_model` fills it from the compiled plans of the routed
consumers; every doc emitter (AsyncAPI 3 JSON/YAML, the HTML page, third-party formats)
reads it. Schemas are JSON Schema dicts as pydantic produces them (OpenAPI-style
`discriminator` objects included); references between them point to
`#/components/schemas/<key>`, and each emitter adapts them to its format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "SCHEMA_REF_PREFIX",
    "ApiModel",
    "ChannelDoc",
    "MessageDoc",
    "OperationDoc",
    "ParameterDoc",
]

SCHEMA_REF_PREFIX = "#/components/schemas/"
"""Prefix of every `$ref` inside `ApiModel.schemas`."""


@dataclass(frozen=True, slots=True)
class ParameterDoc:
    """A path parameter of a channel address (`{room}` in `/ws/chat/{room}`).

    Attributes:
        name: The parameter name as it appears between braces.
        description: What the parameter is, for readers.
        pattern: A regular expression the value matches, when the router has one.
    """

    name: str
    description: str
    pattern: str | None = None


@dataclass(frozen=True, slots=True)
class MessageDoc:
    """One message type as it travels on the wire.

    Attributes:
        key: Unique key of the message in the model (also its schema key).
        name: The discriminator value (`"chat"`), when the message has one.
        title: The message class name.
        summary: First line of the class docstring.
        description: The whole class docstring.
        schema: Key of the payload schema in `ApiModel.schemas`.
        example: An example frame (wire names, formatters applied).
        content_type: The frames' media type: `application/json`, or the wire format's
            (`application/msgpack` for MessagePack consumers).
    """

    key: str
    name: str | None
    title: str
    summary: str | None
    description: str | None
    schema: str
    example: Any
    content_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class OperationDoc:
    """One handler, seen from the server: it `receive`s client frames or `send`s frames.

    Attributes:
        key: Unique key of the operation in the model.
        action: `"receive"` for `@ws_handler`, `"send"` for `@event_handler` and passthrough.
        name: The handler's action name (`@ws_handler(action=...)`, else the method name).
        method: The consumer method that implements it.
        summary: `summary=` of the decorator.
        description: `description=` of the decorator, else the method docstring.
        tags: `tags=` of the decorator.
        messages: Keys of the messages the operation receives or sends.
        replies: Keys of the reply messages of a `receive` operation; empty when none.
        passthrough: Whether it forwards a `passthrough_events` type unchanged.
    """

    key: str
    action: Literal["receive", "send"]
    name: str
    method: str
    summary: str | None
    description: str | None
    tags: tuple[str, ...]
    messages: tuple[str, ...]
    replies: tuple[str, ...] = ()
    passthrough: bool = False


@dataclass(frozen=True, slots=True)
class ChannelDoc:
    """A routed consumer at one address.

    Attributes:
        key: Unique key of the channel in the model (the `@channel` name, else class name).
        title: The `@channel` name, else the class name; when another channel already has
            that title (a consumer routed twice, or a camelized twin), its wire variant or its
            address is added so that every title is distinct.
        address: The route path, parameters written `{name}`.
        parameters: The address's path parameters, in order.
        description: `@channel(description=...)`, else the class docstring, else None.
        tags: `@channel(tags=...)`.
        consumer: Dotted path of the consumer class.
        operations: The consumer's operations, `receive` first, each sorted by name.
            The `error` frame the server sends on bad input is always a `send` operation.
        messages: Keys of every message the channel carries, sorted.
        discriminator: The field naming each message's type on the wire (`"action"`).
        wire: The consumer's wire id: `"json"`, or its formatters joined by `+`
            (`"camelize"`, `"camelize+msgpack"`).
        binary: Whether frames are binary (a formatter such as `msgpack` owns the wire).
        completion: Whether the server sends completion frames (`send_completion = True`).
        topic_of: For a topic's channel, the key of the consumer channel whose socket carries
            it (subscribed to with the topic envelope); None for a consumer's own channel.
    """

    key: str
    title: str
    address: str
    parameters: tuple[ParameterDoc, ...]
    description: str | None
    tags: tuple[str, ...]
    consumer: str
    operations: tuple[OperationDoc, ...]
    messages: tuple[str, ...]
    discriminator: str = "action"
    wire: str = "json"
    binary: bool = False
    completion: bool = False
    topic_of: str | None = None


@dataclass(frozen=True, slots=True)
class ApiModel:
    """The whole documentation of an application.

    Attributes:
        title: Title of the API.
        version: Version of the API (not of chanx).
        description: Description of the API, if any.
        channels: Every routed consumer address, sorted by key.
        messages: Every message, by key (sorted).
        schemas: Every JSON schema, by key (sorted).
        servers: Named server URLs (`{"local": "ws://localhost:8000"}`), possibly empty.
    """

    title: str
    version: str
    description: str | None
    channels: tuple[ChannelDoc, ...]
    messages: Mapping[str, MessageDoc]
    schemas: Mapping[str, Mapping[str, Any]]
    servers: Mapping[str, str] = field(default_factory=dict)
