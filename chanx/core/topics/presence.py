"""Presence: who is subscribed to a topic, and the join/leave pushes its subscribers get.

A topic with `track_presence` records each subscribed connection (its channel name, plus
the topic's `presence_info()`) in the layer's topic store; with `presence_events` the other
subscribers receive `presence_join` / `presence_leave` pushes. When a store finds members
whose process stopped renewing them (the Redis store's heartbeat), it calls back here and
their leave is pushed like any other.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import TYPE_CHECKING, Any

from chanx.core.events import dump_event
from chanx.core.topic import Topic, push_message
from chanx.messages.topic import PresenceJoinMessage, PresenceLeaveMessage, PresenceMember

if TYPE_CHECKING:
    from chanx.kernel.contracts import ChannelLayer
    from chanx.layers.topics import TopicStore

__all__ = ["join", "leave"]

logger = logging.getLogger("chanx.topics")

_background: set[asyncio.Task[None]] = set()
_infos: weakref.WeakKeyDictionary[Topic[Any], dict[str, Any] | None] = weakref.WeakKeyDictionary()
"""The info each present subscription joined with, repeated in its leave push."""


async def join(subscription: Topic[Any], store: TopicStore, layer: ChannelLayer) -> None:
    """Record the subscription's connection on its topic; announce it if asked to."""
    _watch_expiry(store, layer)
    member = subscription.consumer.channel_name
    try:
        info = await subscription.presence_info()
    except Exception:
        logger.exception("%s.presence_info raised", type(subscription).__qualname__)
        info = None
    await store.presence_join(subscription.topic, member, info)
    _infos[subscription] = info
    if subscription.presence_events:
        joined = PresenceJoinMessage(payload=PresenceMember(id=member, info=info))
        await _push(type(subscription), subscription.topic, joined, layer)


async def leave(subscription: Topic[Any], store: TopicStore, layer: ChannelLayer) -> None:
    """Forget the subscription's connection on its topic; announce it if asked to."""
    member = subscription.consumer.channel_name
    info = _infos.pop(subscription, None)
    if await store.presence_leave(subscription.topic, member) and subscription.presence_events:
        left = PresenceLeaveMessage(payload=PresenceMember(id=member, info=info))
        await _push(type(subscription), subscription.topic, left, layer)


async def _push(
    topic_class: type[Topic[Any]], topic: str, message: Any, layer: ChannelLayer
) -> None:
    record = {"event": dump_event(message), "seq": None}
    await layer.group_send(topic_class.group_name(topic), push_message(topic, record, None, None))


def _watch_expiry(store: TopicStore, layer: ChannelLayer) -> None:
    """Have `store` report members that expired, so their leave is pushed (once per store)."""
    if store.on_presence_expired is not None:
        return

    def expired(topic: str, member: str, info: dict[str, Any] | None) -> None:
        topic_class = _topic_class_of(topic)
        if topic_class is None or not topic_class.presence_events:
            return
        left = PresenceLeaveMessage(payload=PresenceMember(id=member, info=info))
        task = asyncio.ensure_future(_push(topic_class, topic, left, layer))
        _background.add(task)
        task.add_done_callback(_background.discard)

    store.on_presence_expired = expired


def _topic_class_of(topic: str) -> type[Topic[Any]] | None:
    """The tracked topic class whose pattern matches `topic` (via the consumers mounting it)."""
    pending: list[type[Topic[Any]]] = list(Topic.__subclasses__())
    while pending:
        klass = pending.pop()
        pending.extend(klass.__subclasses__())
        if klass.track_presence and klass.__dict__.get("_hosts") and klass.parse(topic):
            return klass
    return None
