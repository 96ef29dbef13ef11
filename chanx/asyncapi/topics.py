"""Documenting topics: one channel per topic class a consumer mounts, on the consumer's socket.

A topic channel has the consumer's address (topics share its socket) and says in its
description which `pattern` names its topics and which envelope keys frames carry. Its
operations: `subscribe` and `unsubscribe` (receive, with their replies and the topic
error), each `@ws_handler` of the topic (receive), and the pushes (send): the topic's events
(`Topic[Event]`, or what its `@event_handler` methods return) and, with `presence_events`,
the presence pushes. The envelope is a schema of its own, `TopicEnvelope`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel

from chanx.asyncapi.model import ChannelDoc, OperationDoc
from chanx.messages.topic import (
    PresenceJoinMessage,
    PresenceLeaveMessage,
    SubscribedMessage,
    SubscribeMessage,
    TopicErrorMessage,
    UnsubscribedMessage,
    UnsubscribeMessage,
)

__all__ = ["ENVELOPE_SCHEMA", "ENVELOPE_SCHEMA_KEY", "topic_channels", "topic_pairs"]

Pair = tuple[type[BaseModel], Literal["validation", "serialization"]]
MessageKey = Callable[[type[BaseModel], Literal["validation", "serialization"]], str]

ENVELOPE_SCHEMA_KEY = "TopicEnvelope"
ENVELOPE_SCHEMA: dict[str, Any] = {
    "title": "TopicEnvelope",
    "description": (
        "Keys a frame carries next to its message. Client frames: `version` (1), `topic` "
        "(absent: the consumer's own handlers), `ref` (echoed on the reply). Replies: "
        "`version`, `topic`, `ref`; `subscribed` also `offset`, `epoch` and, when the "
        "subscribe resumed, `recovered`. Pushes: `version`, `topic`, `offset`, `epoch`, "
        "and `seq` when the broadcaster gave one."
    ),
    "type": "object",
    "properties": {
        "version": {"type": "integer", "const": 1},
        "topic": {"type": "string"},
        "ref": {"type": "string"},
        "seq": {"type": "integer"},
        "offset": {"type": "integer", "minimum": 0},
        "epoch": {"type": "string"},
        "recovered": {"type": "boolean"},
    },
}


def topic_pairs(plan: Any) -> list[Pair]:
    """The (message, mode) pairs the topics of `plan` document."""
    topics = plan.topics
    if topics is None:
        return []
    pairs: list[Pair] = [
        (SubscribeMessage, "validation"),
        (UnsubscribeMessage, "validation"),
        (SubscribedMessage, "serialization"),
        (UnsubscribedMessage, "serialization"),
        (TopicErrorMessage, "serialization"),
    ]
    for routes in topics.topics:
        for route in {id(r): r for r in routes.ws_routes.values()}.values():
            pairs.extend((t, "validation") for t in route.input_types)
            pairs.extend((t, "serialization") for t in _outputs(route.output_type))
        pairs.extend((t, "serialization") for t in _pushes(routes))
    return list(dict.fromkeys(pairs))


def topic_channels(
    consumer_channel: ChannelDoc, plan: Any, message: MessageKey, taken: set[str]
) -> list[ChannelDoc]:
    """One channel per topic class of `plan`, next to the consumer's own channel."""
    if plan.topics is None:
        return []
    channels = []
    for routes in plan.topics.topics:
        topic = routes.topic
        key = _unique(f"{consumer_channel.key}.{topic.__name__}", taken)
        protocol = (message(TopicErrorMessage, "serialization"),)
        operations = [
            _op(key, "receive", "subscribe", "subscribe",
                (message(SubscribeMessage, "validation"),),
                (message(SubscribedMessage, "serialization"), *protocol),
                "Subscribe to a topic; `since` resumes after an offset."),
            _op(key, "receive", "unsubscribe", "unsubscribe",
                (message(UnsubscribeMessage, "validation"),),
                (message(UnsubscribedMessage, "serialization"), *protocol),
                "Leave a topic."),
        ]  # fmt: skip
        for route in sorted({r.method_name: r for r in routes.ws_routes.values()}.items()):
            handler = route[1]
            operations.append(
                _op(
                    key,
                    "receive",
                    handler.action,
                    handler.method_name,
                    tuple(message(t, "validation") for t in handler.input_types),
                    tuple(message(t, "serialization") for t in _outputs(handler.output_type)),
                    handler.description,
                )
            )
        for pushed in _pushes(routes):
            name = (
                str(pushed.model_fields["action"].default)
                if "action" in pushed.model_fields
                else pushed.__name__
            )
            operations.append(
                _op(key, "send", name, "broadcast", (message(pushed, "serialization"),), (), None)
            )
        carried = sorted({k for op in operations for k in (*op.messages, *op.replies)})
        description = (
            f"Topic `{topic.pattern}` on the socket of {consumer_channel.title}: frames "
            f"addressed to it carry the envelope (`{ENVELOPE_SCHEMA_KEY}`) with "
            f"`topic` set to a name matching the pattern."
        )
        doc = (topic.__doc__ or "").strip()
        channels.append(
            ChannelDoc(
                key=key,
                title=topic.pattern,
                address=consumer_channel.address,
                parameters=consumer_channel.parameters,
                description=f"{description}\n\n{doc}" if doc else description,
                tags=("topic",),
                consumer=f"{topic.__module__}.{topic.__qualname__}",
                operations=tuple(operations),
                messages=tuple(carried),
                discriminator=consumer_channel.discriminator,
                wire=consumer_channel.wire,
                binary=consumer_channel.binary,
                completion=consumer_channel.completion,
                topic_of=consumer_channel.key,
            )
        )
    return channels


def _op(
    channel: str,
    action: Literal["receive", "send"],
    name: str,
    method: str,
    messages: tuple[str, ...],
    replies: tuple[str, ...],
    description: str | None,
) -> OperationDoc:
    return OperationDoc(
        key=f"{channel}.{action}.{name}",
        action=action,
        name=name,
        method=method,
        summary=None,
        description=description,
        tags=("topic",),
        messages=messages,
        replies=replies,
    )


def _pushes(routes: Any) -> list[type[BaseModel]]:
    """What the topic pushes: handler outputs for handled events, other events as they are."""
    pushed: list[type[BaseModel]] = []
    for event_type in routes.event_types:
        route = routes.event_dispatch.get(event_type)
        pushed += _outputs(route.output_type) if route is not None else [event_type]
    if routes.topic.presence_events:
        pushed += [PresenceJoinMessage, PresenceLeaveMessage]
    return list(dict.fromkeys(pushed))


def _outputs(annotation: Any) -> list[type[BaseModel]]:
    from chanx.asyncapi.build import _members

    return _members(annotation)


def _unique(key: str, taken: set[str]) -> str:
    chosen, number = key, 2
    while chosen in taken:
        chosen, number = f"{key}_{number}", number + 1
    taken.add(chosen)
    return chosen
