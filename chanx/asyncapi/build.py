"""Building the neutral `ApiModel` from the compiled plans of routed consumers.

The mapping is the guide's: a `@ws_handler` is a `receive` operation, with a reply when it
has a return type or `output_type` and none otherwise; an `@event_handler` and a passthrough
event are `send` operations documenting only what reaches the client (event inputs are
internal and never documented); a consumer's `emits` are one more `send` operation.
Everything is sorted, so the model, and every document emitted from it, is identical from
run to run.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel

from chanx.asyncapi.discover import RoutedConsumer, routed_consumers
from chanx.asyncapi.model import (
    ApiModel,
    ChannelDoc,
    MessageDoc,
    OperationDoc,
    ParameterDoc,
)
from chanx.asyncapi.naming import (
    UNSAFE_KEY,
    content_type_of,
    distinct_title,
    first_line,
    operation_name,
    parameter_description,
    unique_key,
)
from chanx.asyncapi.schema_fixups import (
    ERROR_CODES,
    document_error_codes,
    merge_wire_schemas,
    require_discriminators,
)
from chanx.asyncapi.schemas import Mode, example_of, key_rename, model_schemas
from chanx.asyncapi.topics import ENVELOPE_SCHEMA, ENVELOPE_SCHEMA_KEY, topic_channels, topic_pairs
from chanx.messages.base import discriminator_values
from chanx.messages.outgoing import (
    CompleteMessage,
    ErrorMessage,
    EventCompleteMessage,
    GroupCompleteMessage,
)

__all__ = ["DEFAULT_SERVERS", "ERROR_CODES", "build_api_model"]

DEFAULT_SERVERS: Mapping[str, str] = {"local": "ws://localhost:8000"}
"""The servers listed when `build_api_model` is given none."""


_COMPLETION: tuple[tuple[str, type[BaseModel]], ...] = (
    ("complete", CompleteMessage),
    ("event_complete", EventCompleteMessage),
    ("group_complete", GroupCompleteMessage),
)

Pair = tuple[type[BaseModel], Mode]


def build_api_model(
    app: Any,
    *,
    title: str = "chanx API",
    version: str = "1.0.0",
    description: str | None = None,
    servers: Mapping[str, str] | None = None,
) -> ApiModel:
    """Document the consumers `app` routes.

    Args:
        app: A Starlette/FastAPI application or router, or a list of `RoutedConsumer`.
        title: Title of the API.
        version: Version of the API.
        description: Description of the API.
        servers: Named server URLs, e.g. `{"local": "ws://localhost:8000"}`; None lists
            `DEFAULT_SERVERS`, an empty mapping lists none.

    Returns:
        The neutral model every doc emitter reads.
    """
    routed = _routed(app)
    variants: dict[str, list[RoutedConsumer]] = {}
    for entry in routed:
        variants.setdefault(_plan(entry).codec.wire_id, []).append(entry)
    schemas: dict[str, dict[str, Any]] = {}
    message_keys: dict[tuple[str, type[BaseModel], Mode], str] = {}
    for wire_id in sorted(variants, key=lambda w: (w != "json", w)):
        plans = [_plan(entry) for entry in variants[wire_id]]
        found = {
            p for entry in variants[wire_id] for p in (*_pairs(entry), *topic_pairs(_plan(entry)))
        }
        pairs = sorted(found, key=_pair_sort_key)
        keys, defs = model_schemas(pairs, key_rename(plans[0].codec.formatters))
        keys, defs = merge_wire_schemas(schemas, keys, defs, wire_id)
        message_keys.update({(wire_id, model, mode): key for (model, mode), key in keys.items()})
    messages: dict[str, MessageDoc] = {}
    channels: list[ChannelDoc] = []
    taken: set[str] = set()
    titles: set[str] = set()
    # Plain JSON channels first, so a formatted twin is the one whose title gets a suffix.
    for entry in sorted(routed, key=lambda e: _plan(e).codec.wire_id != "json"):
        channel = _channel(entry, message_keys, messages, schemas, taken, titles)
        channels.append(channel)
        if _plan(entry).topics is not None:
            codec = _plan(entry).codec
            message = _message_key(
                codec.wire_id, message_keys, messages, schemas, content_type_of(codec)
            )
            channels += topic_channels(channel, _plan(entry), message, taken)
            schemas.setdefault(ENVELOPE_SCHEMA_KEY, ENVELOPE_SCHEMA)
    require_discriminators(schemas, messages, channels)
    document_error_codes(schemas, messages)
    return ApiModel(
        title=title,
        version=version,
        description=description or None,
        channels=tuple(sorted(channels, key=lambda c: c.key)),
        messages=dict(sorted(messages.items())),
        schemas=dict(sorted(schemas.items())),
        servers=dict(sorted((DEFAULT_SERVERS if servers is None else servers).items())),
    )


def _routed(app: Any) -> list[RoutedConsumer]:
    if isinstance(app, list | tuple) and all(isinstance(e, RoutedConsumer) for e in app):
        return list(app)
    return routed_consumers(app)


def _plan(entry: RoutedConsumer) -> Any:
    return entry.consumer_class.__chanx_plan__


def _pair_sort_key(pair: Pair) -> tuple[str, str, str]:
    return (pair[0].__module__, pair[0].__qualname__, pair[1])


def _members(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models of an output annotation (unions flattened, None dropped)."""
    if annotation is None:
        return []
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(annotation) for m in _members(a)]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return []


def _routes(plan: Any) -> list[Any]:
    """Each route once (a union input registers the same route under several keys)."""
    unique: dict[str, Any] = {}
    for route in [*plan.ws_routes.values(), *plan.event_routes.values()]:
        unique.setdefault(f"{route.kind}:{route.method_name}", route)
    return [unique[key] for key in sorted(unique)]


def _pairs(entry: RoutedConsumer) -> list[Pair]:
    plan = _plan(entry)
    pairs: list[Pair] = []
    for route in _routes(plan):
        if route.kind == "ws":
            pairs.extend((t, "validation") for t in route.input_types)
        pairs.extend((t, "serialization") for t in _members(route.output_type))
    pairs.extend((t, "serialization") for t in getattr(plan, "emits", ()))
    return pairs + [(t, "serialization") for _, t in _server_frames(entry)]


def _server_frames(entry: RoutedConsumer) -> list[tuple[str, type[BaseModel]]]:
    """Frames the runtime itself sends: `error` always, completion signals when enabled."""
    frames: list[tuple[str, type[BaseModel]]] = [("error", ErrorMessage)]
    if getattr(entry.consumer_class, "send_completion", False):
        frames += _COMPLETION
    return frames


def _channel(
    entry: RoutedConsumer,
    message_keys: Mapping[tuple[str, type[BaseModel], Mode], str],
    messages: dict[str, MessageDoc],
    schemas: Mapping[str, Mapping[str, Any]],
    taken: set[str],
    titles: set[str],
) -> ChannelDoc:
    cls = entry.consumer_class
    plan = _plan(entry)
    info = plan.channel
    wire_id = plan.codec.wire_id
    name = (info.name if info is not None else None) or cls.__name__
    key = unique_key(UNSAFE_KEY.sub("_", name), taken)
    title = distinct_title(name, wire_id, entry.address, titles)
    content_type = content_type_of(plan.codec)
    message = _message_key(wire_id, message_keys, messages, schemas, content_type)

    operations: list[OperationDoc] = []
    op_keys: set[str] = set()
    for route in _routes(plan):
        outputs = tuple(message(t, "serialization") for t in _members(route.output_type))
        action: Literal["receive", "send"] = "receive" if route.kind == "ws" else "send"
        if action == "receive":
            sent = tuple(message(t, "validation") for t in route.input_types)
        elif outputs:
            sent, outputs = outputs, ()
        else:
            continue  # an event handler that sends nothing documented has nothing to show
        op_name = operation_name(route, action, sent, messages)
        name = UNSAFE_KEY.sub("_", op_name)
        op_key = unique_key(f"{key}.{name}", op_keys, f"{key}.{action}.{name}")
        operations.append(
            OperationDoc(
                key=op_key,
                action=action,
                name=op_name,
                method=route.method_name,
                summary=route.summary or None,
                description=route.description or None,
                tags=tuple(route.tags),
                messages=sent,
                replies=outputs,
                passthrough=route.passthrough,
            )
        )
    emitted = tuple(message(t, "serialization") for t in getattr(plan, "emits", ()))
    if emitted:
        operations.append(
            OperationDoc(
                key=unique_key(f"{key}.emits", op_keys, f"{key}.send.emits"),
                action="send",
                name="emits",
                method="emits",
                summary="Messages the server sends outside any handler",
                description=f"Listed in {cls.__qualname__}.emits: sent on the server's own "
                "initiative (for example on connect), not in answer to a client message.",
                tags=(),
                messages=emitted,
            )
        )
    for frame_name, frame_type in _server_frames(entry):
        operations.append(
            OperationDoc(
                key=unique_key(f"{key}.{frame_name}", op_keys, f"{key}.send.{frame_name}"),
                action="send",
                name=frame_name,
                method="",
                summary=first_line(frame_type.__doc__),
                description=None,
                tags=(),
                messages=(message(frame_type, "serialization"),),
            )
        )
    operations.sort(key=lambda op: (op.action != "receive", op.name, op.key))
    carried = sorted({k for op in operations for k in (*op.messages, *op.replies)})
    description = (info.description if info is not None else None) or plan.doc or None
    return ChannelDoc(
        key=key,
        title=title,
        address=entry.address,
        parameters=tuple(
            ParameterDoc(name, parameter_description(name, converter))
            for name, converter in entry.parameters
        ),
        description=description,
        tags=tuple(info.tags) if info is not None else (),
        consumer=f"{cls.__module__}.{cls.__qualname__}",
        operations=tuple(operations),
        messages=tuple(carried),
        discriminator=str(getattr(plan, "discriminator_field", None) or "action"),
        wire=plan.codec.wire_id,
        binary=bool(plan.codec.binary),
        completion=bool(getattr(cls, "send_completion", False)),
    )


def _message_key(
    wire_id: str,
    message_keys: Mapping[tuple[str, type[BaseModel], Mode], str],
    messages: dict[str, MessageDoc],
    schemas: Mapping[str, Mapping[str, Any]],
    content_type: str = "application/json",
) -> Callable[[type[BaseModel], Mode], str]:
    """The key of a message of this wire, documenting it on first use."""

    def message(model: type[BaseModel], mode: Mode) -> str:
        message_key = message_keys[(wire_id, model, mode)]
        if message_key not in messages:
            messages[message_key] = _message_doc(model, message_key, schemas, content_type)
        return message_key

    return message


def _message_doc(
    model: type[BaseModel],
    key: str,
    schemas: Mapping[str, Mapping[str, Any]],
    content_type: str = "application/json",
) -> MessageDoc:
    doc = inspect.cleandoc(model.__doc__) if model.__doc__ else None
    field = getattr(model, "discriminator_field", "action")
    info = model.model_fields.get(field)
    values = discriminator_values(info.annotation) if info is not None else ()
    return MessageDoc(
        key=key,
        name=values[0] if values else None,
        title=model.__name__,
        summary=doc.splitlines()[0] if doc else None,
        description=doc,
        schema=key,
        example=example_of(schemas.get(key, {}), schemas),
        content_type=content_type,
    )
