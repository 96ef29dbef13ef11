"""`TopicsPlan`: what a consumer with `topics` needs per frame, compiled with its class.

Only consumers that mount topics (or have a `default_topic`) get one; the plan of every
other consumer keeps `topics=None` and its frames take the plain path. For each topic class
the plan holds its handlers (routed on the consumer's discriminator field), a validator of
the messages clients may send it, built with the consumer's formatters, and a validator of
the events broadcast to it.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chanx.core.codec import Frame, MessageDecoder, WireCodec
from chanx.core.plan import EventDecoder, _union_adapter
from chanx.core.routes import (
    ConsumerDefinitionError,
    Route,
    check_discriminator,
    collect_handlers,
    make_route,
    union_members,
)
from chanx.core.topic import Topic
from chanx.messages.base import BaseMessage, discriminator_values
from chanx.messages.topic import SubscribedMessage, UnsubscribedMessage

if TYPE_CHECKING:
    from chanx.core.decorators import HandlerSpec

__all__ = ["TopicRoutes", "TopicsPlan", "compile_topics", "topic_event_types"]


@dataclass(frozen=True, slots=True)
class TopicRoutes:
    """One topic class as one consumer serves it."""

    topic: type[Topic[Any]]
    ws_routes: Mapping[str, Route]
    ws_dispatch: Mapping[type, Route]
    decoder: MessageDecoder
    event_dispatch: Mapping[type, Route]
    event_decoder: EventDecoder | None
    event_types: tuple[type[BaseMessage], ...]


@dataclass(frozen=True, slots=True)
class TopicsPlan:
    """The topics of one consumer class and their limits.

    Attributes:
        topics: Each mounted topic class, in the order of `topics`.
        default_topic: The topic that frames without a `topic` key belong to, if any.
        max_subscriptions: Subscriptions one connection may hold.
        subscribe_rate: (subscribes, per seconds) one connection may make, or None.
        history_read_limit: Most missed pushes one resume may replay.
    """

    topics: tuple[TopicRoutes, ...]
    default_topic: TopicRoutes | None
    max_subscriptions: int
    subscribe_rate: tuple[int, float] | None
    history_read_limit: int
    subscribed_frame: Frame
    unsubscribed_frame: Frame

    def match(self, name: str) -> TopicRoutes | None:
        """The first mounted topic whose pattern matches `name`."""
        for routes in self.topics:
            if routes.topic.parse(name) is not None:
                return routes
        return None


def compile_topics(cls: type, codec: WireCodec, disc: str) -> TopicsPlan | None:
    """The topics plan of consumer class `cls`, or None when it mounts no topic."""
    mounted: list[type[Topic[Any]]] = list(getattr(cls, "topics", None) or ())
    default = getattr(cls, "default_topic", None)
    if default is not None and default not in mounted:
        mounted.insert(0, default)
    if not mounted:
        return None
    name = cls.__qualname__
    if getattr(cls, "channel_layer_alias", None) is None:
        raise ConsumerDefinitionError(
            f"{name}.topics: topics need a channel layer; set channel_layer_alias."
        )
    compiled = []
    for topic in mounted:
        if not (isinstance(topic, type) and issubclass(topic, Topic)) or not hasattr(
            topic, "_regex"
        ):
            raise ConsumerDefinitionError(
                f"{name}.topics: {topic!r} is not a Topic subclass with a pattern."
            )
        compiled.append(_compile_topic(name, topic, codec, disc))
        if cls not in topic._hosts:
            topic._hosts.append(cls)
    rate = getattr(cls, "subscribe_rate", None)
    return TopicsPlan(
        topics=tuple(compiled),
        default_topic=compiled[0] if default is not None else None,
        max_subscriptions=int(getattr(cls, "max_subscriptions", 100)),
        subscribe_rate=None if rate is None else (int(rate[0]), float(rate[1])),
        history_read_limit=int(getattr(cls, "history_read_limit", 1000)),
        subscribed_frame=codec.encode(SubscribedMessage()),
        unsubscribed_frame=codec.encode(UnsubscribedMessage()),
    )


def topic_event_types(topic: type[Topic[Any]]) -> tuple[type[BaseMessage], ...]:
    """The event types of `Topic[Event]` (a message class or a union of them)."""
    found: list[type[BaseMessage]] = []
    for klass in topic.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is Topic:
                for arg in typing.get_args(base):
                    for member in union_members(arg):
                        if (
                            isinstance(member, type)
                            and issubclass(member, BaseMessage)
                            and not member.__chanx_abstract__
                            and member not in found
                        ):
                            found.append(member)
    return tuple(found)


def _compile_topic(
    consumer: str, topic: type[Topic[Any]], codec: WireCodec, disc: str
) -> TopicRoutes:
    from chanx.core.decorators import HANDLER_ATTR

    ws_routes: dict[str, Route] = {}
    event_dispatch: dict[type, Route] = {}
    for method_name, func in collect_handlers(topic).items():
        spec: HandlerSpec = getattr(func, HANDLER_ATTR)
        route = make_route(topic, method_name, func, spec, topic._localns)
        if spec.kind == "event":
            event_dispatch.update(dict.fromkeys(route.input_types, route))
            continue
        for message_type in route.input_types:
            check_discriminator(topic.__qualname__, route, message_type, disc)
            for value in discriminator_values(message_type.model_fields[disc].annotation):
                if value in ("subscribe", "unsubscribe"):
                    raise ConsumerDefinitionError(
                        f"{topic.__qualname__}.{method_name}: '{value}' is the topic "
                        f"protocol's own action; name the message differently."
                    )
                other = ws_routes.get(value)
                if other is not None and other.method_name != method_name:
                    raise ConsumerDefinitionError(
                        f"{topic.__qualname__}: {other.method_name}() and {method_name}() "
                        f"both handle {disc} '{value}'."
                    )
                ws_routes[value] = route
    ws_dispatch = {t: r for r in ws_routes.values() for t in r.input_types}
    decoder = MessageDecoder(_union_adapter(list(ws_dispatch), disc), disc, list(ws_routes), codec)
    event_types = list(topic_event_types(topic))
    event_types += [t for t in event_dispatch if t not in event_types]
    return TopicRoutes(
        topic=topic,
        ws_routes=ws_routes,
        ws_dispatch=ws_dispatch,
        decoder=decoder,
        event_dispatch=event_dispatch,
        event_decoder=_event_decoder(event_types),
        event_types=tuple(event_types),
    )


def _event_decoder(event_types: Sequence[type[BaseMessage]]) -> EventDecoder | None:
    if not event_types:
        return None
    plain = WireCodec()
    by_field: dict[str, list[type[BaseMessage]]] = {}
    for event_type in event_types:
        by_field.setdefault(event_type.discriminator_field, []).append(event_type)
    return EventDecoder(
        [
            (f, MessageDecoder(_union_adapter(ts, f), f, [], plain))
            for f, ts in sorted(by_field.items())
        ]
    )
