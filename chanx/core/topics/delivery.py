"""Delivering topic pushes to one connection: in offset order, at most once, gaps filled.

Per subscription (`Feed`), a push whose offset was already delivered is dropped, and a gap
(a push arriving before an earlier one, across processes) is filled from the history when it
still holds the missing pushes; offsets it could not fill are remembered for a while, so
they are still delivered if they arrive late. On a JSON wire with no event handler, a push
goes out exactly as the broadcaster encoded it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chanx.core.codec import FrameError
from chanx.core.topics.envelope import ENVELOPE_VERSION, add_envelope, json_push

if TYPE_CHECKING:
    from chanx.core.topic import Topic
    from chanx.core.topics.plan import TopicRoutes
    from chanx.core.topics.session import TopicSession
    from chanx.messages.base import BaseMessage

__all__ = ["Feed", "accept_push", "deliver"]

logger = logging.getLogger("chanx.topics")

_MAX_SKIPPED = 1024
"""Offsets remembered as skipped (a gap the history could not fill) per subscription."""


@dataclass(slots=True)
class Feed:
    """Delivery state of one subscription."""

    routes: TopicRoutes
    subscription: Topic[Any]
    epoch: str | None = None
    last: int = 0
    forward: bool = False
    """Pushes go out as the broadcaster encoded them (JSON wire, no event handler)."""
    buffer: list[dict[str, Any]] | None = field(default_factory=list)
    skipped: set[int] = field(default_factory=set)


async def accept_push(session: TopicSession, feed: Feed, message: dict[str, Any]) -> None:
    envelope = message["envelope"]
    offset = envelope.get("offset")
    name = message["topic"]
    if offset is None:  # presence pushes are not counted
        await deliver(session, feed, name, message["event"], None, None, message)
        return
    epoch = envelope["epoch"]
    if epoch != feed.epoch:  # the history was lost: start over in the new epoch
        feed.epoch, feed.last = epoch, offset - 1
        feed.skipped.clear()
    if offset <= feed.last:
        if offset not in feed.skipped:
            return  # already delivered
        feed.skipped.discard(offset)
        await deliver(session, feed, name, message["event"], offset, epoch, message)
        return
    if offset > feed.last + 1:
        try:
            await _fill_gap(session, feed, name, offset)
        except Exception:  # the history is out of reach: deliver what arrived
            logger.exception("filling a gap before offset %d of %r failed", offset, name)
    await deliver(session, feed, name, message["event"], offset, epoch, message)


async def _fill_gap(session: TopicSession, feed: Feed, name: str, offset: int) -> None:
    """Deliver the pushes between `feed.last` and `offset` from the history."""
    topic_class = type(feed.subscription)
    window = await session.store().read(
        name,
        feed.last,
        feed.epoch or "",
        limit=session.plan.history_read_limit,
        ttl=topic_class.history_ttl,
    )
    if window.entries is not None:
        for missed, record in window.entries:
            if missed >= offset:
                break
            await deliver(session, feed, name, record["event"], missed, feed.epoch, record)
        return
    if offset - feed.last < _MAX_SKIPPED:  # they may still arrive, late
        feed.skipped.update(range(feed.last + 1, offset))
        while len(feed.skipped) > _MAX_SKIPPED:
            feed.skipped.remove(min(feed.skipped))


async def deliver(
    session: TopicSession,
    feed: Feed,
    name: str,
    event: dict[str, Any],
    offset: int | None,
    epoch: str | None,
    source: dict[str, Any],
) -> None:
    """Send one push to the client, through the topic's event handler if it has one."""
    if offset is not None:
        feed.last = max(feed.last, offset)
    consumer = session.consumer
    codec = consumer._plan.codec
    routes = feed.routes
    frame = source.get("frame")
    if frame is not None and feed.forward:
        await consumer._send_frame(frame)  # encoded once, by the broadcaster
        return
    envelope: dict[str, Any] = {"version": ENVELOPE_VERSION, "topic": name}
    if offset is not None:
        envelope.update(offset=offset, epoch=epoch)
    if source.get("seq") is not None:
        envelope["seq"] = source["seq"]
    elif "envelope" in source and "seq" in source["envelope"]:
        envelope["seq"] = source["envelope"]["seq"]
    if feed.forward:  # a kept push: the same JSON the broadcaster would have sent
        await consumer._send_frame(json_push(event, envelope))
        return
    decoded: BaseMessage | None = None
    if routes.event_decoder is not None:
        try:
            decoded = routes.event_decoder.decode(event)
        except FrameError:
            decoded = None
    if decoded is None:
        await consumer._send_frame(add_envelope(codec, codec.encode_data(event), envelope))
        return
    route = routes.event_dispatch.get(type(decoded))
    if route is None:
        await consumer._send_frame(add_envelope(codec, codec.encode(decoded), envelope), decoded)
        return
    await session.call(route, feed.subscription, decoded, envelope)


# -- helpers ----------------------------------------------------------------------------
