"""`TopicSession`: one connection's subscriptions, and how its frames and pushes are served.

A consumer with topics serves each client frame here instead of the plain path: the
envelope is split off, a frame without `topic` goes to the consumer's own handlers (its reply
echoes the `ref`), `subscribe` / `unsubscribe` manage subscriptions, and any other topic
frame goes to that subscription's handlers. Pushes from the channel layer arrive through
`serve_push`; per subscription they are delivered in offset order, at most once: a push
whose offset was already delivered is dropped, and a gap is filled from the history when it
still holds the missing pushes.

A subscribe that resumes (`since`) reads the missed pushes after joining the topic's group;
live pushes that arrive meanwhile wait in the subscription's buffer and follow the history,
so the client sees no gap and no duplicate at the seam.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from chanx.core.codec import Frame, FrameError, WireCodec
from chanx.core.limits import TokenBucket
from chanx.core.topic import Topic, current_ref
from chanx.core.topics import presence
from chanx.core.topics.delivery import Feed, accept_push, deliver
from chanx.core.topics.envelope import ENVELOPE_VERSION, add_envelope, split_envelope
from chanx.layers.topics import TopicStore, topic_store_for
from chanx.messages.base import BaseMessage
from chanx.messages.topic import (
    Since,
    TopicErrorMessage,
    TopicErrorPayload,
)

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from chanx.core.consumer import BaseConsumer
    from chanx.core.plan import Route
    from chanx.core.topics.plan import TopicsPlan

__all__ = ["TopicSession"]

logger = logging.getLogger("chanx.topics")

_TEXT = WireCodec()


class TopicSession:
    """The subscriptions of one connection (`consumer.subscriptions` is its view)."""

    __slots__ = ("_bucket", "_feeds", "consumer", "plan", "subscriptions")

    def __init__(self, consumer: BaseConsumer[Any], plan: TopicsPlan) -> None:
        self.consumer = consumer
        self.plan = plan
        self.subscriptions: dict[str, Topic[Any]] = {}
        self._feeds: dict[str, Feed] = {}
        rate = plan.subscribe_rate
        self._bucket = None if rate is None else TokenBucket(rate[0] / rate[1], rate[0])

    # -- client frames ----------------------------------------------------------------------

    async def serve_frame(self, message: MutableMapping[str, Any]) -> None:
        """Serve one ASGI `websocket.receive` of a consumer with topics; never raise."""
        consumer = self.consumer
        plan = consumer._plan
        envelope: dict[str, Any] = {}
        try:
            data = _load(plan.codec, message)
            topic, ref = split_envelope(data)
            if ref is not None:
                envelope = {"version": ENVELOPE_VERSION, "ref": ref}
                current_ref.set(ref)
            if topic is None and self.plan.default_topic is not None:
                topic = self._default_name()
            if topic is None:
                decoded = plan.decoder.decode_data(data)
                await self.call(plan.ws_dispatch[type(decoded)], consumer, decoded, envelope)
            else:
                envelope = {"version": ENVELOPE_VERSION, "topic": topic, **envelope}
                await self._serve_topic_frame(topic, data, envelope)
        except FrameError as error:
            if error.text_reply:  # a text frame on a binary wire: answer in JSON text
                await consumer._send_frame(_TEXT.encode(error.to_message()))
            else:
                await self._send(error.to_message(), envelope)
        except Exception:
            logger.exception("%s: serving a topic frame failed", plan.consumer)
            await self._send_internal(envelope)
        if consumer.send_completion:
            await consumer._send_frame(plan.complete_frame)

    async def _serve_topic_frame(
        self, name: str, data: dict[str, Any], envelope: dict[str, Any]
    ) -> None:
        action = data.get(self.consumer._plan.discriminator_field)
        if action == "subscribe":
            since = data.get("since")
            try:
                resume = None if since is None else Since.model_validate(since)
            except ValueError:
                raise FrameError("invalid_message", "'since' must be {offset, epoch}.") from None
            await self.subscribe(name, envelope, resume)
        elif action == "unsubscribe":
            await self.unsubscribe(name, envelope)
        else:
            subscription = self.subscriptions.get(name)
            if subscription is None:
                await self._error(envelope, "not_subscribed", f"Not subscribed to '{name}'.")
                return
            routes = self._feeds[name].routes
            decoded = routes.decoder.decode_data(data)
            await self.call(routes.ws_dispatch[type(decoded)], subscription, decoded, envelope)

    # -- subscribing ------------------------------------------------------------------------

    async def subscribe(self, name: str, envelope: dict[str, Any], since: Since | None) -> None:
        """Authorize, join the topic's group, reply, replay what was missed, go live."""
        store = self.store()
        if name in self.subscriptions:
            position = await store.position(name)
            where = {"offset": position.offset, "epoch": position.epoch}
            await self._reply(self.plan.subscribed_frame, {**envelope, **where})
            return
        routes = self.plan.match(name)
        if routes is None:
            await self._error(envelope, "unknown_topic", f"Unknown topic '{name}'.")
            return
        if len(self.subscriptions) >= self.plan.max_subscriptions:
            detail = f"At most {self.plan.max_subscriptions} subscriptions per connection."
            await self._error(envelope, "too_many_subscriptions", detail)
            return
        if self._bucket is not None and not self._bucket.take():
            await self._error(
                envelope, "subscribe_rate_limited", "Too many subscribes; retry later."
            )
            return
        topic_class = routes.topic
        subscription = topic_class(self.consumer, name)
        try:
            allowed = await subscription.authorize(**subscription.params)
        except Exception:
            logger.exception("%s.authorize raised", topic_class.__qualname__)
            allowed = False
        if not allowed:
            await self._error(envelope, "unauthorized", f"Not allowed to subscribe to '{name}'.")
            return
        json_wire = consumer_codec_id(self.consumer) == "json"
        feed = Feed(routes, subscription, forward=json_wire and not routes.event_dispatch)
        self.subscriptions[name] = subscription
        self._feeds[name] = feed
        consumer = self.consumer
        layer = consumer.channel_layer
        assert layer is not None
        reply: dict[str, Any] = {}
        entries: list[tuple[int, dict[str, Any]]] | None = []
        try:
            await layer.group_add(topic_class.group_name(name), consumer.channel_name)
            if since is None:
                position = await store.position(name)
            else:
                window = await store.read(
                    name,
                    since.offset,
                    since.epoch,
                    limit=self.plan.history_read_limit,
                    ttl=topic_class.history_ttl,
                )
                position, entries = window.position, window.entries
                reply["recovered"] = entries is not None
        except Exception:  # the layer failed: undo, and let the frame get an error
            del self.subscriptions[name], self._feeds[name]
            with contextlib.suppress(Exception):
                await layer.group_discard(topic_class.group_name(name), consumer.channel_name)
            raise
        reply.update(offset=position.offset, epoch=position.epoch)
        if topic_class.track_presence:  # listed before `subscribed`, as seen from any process
            try:
                await presence.join(subscription, store, layer)
            except Exception:
                logger.exception("recording presence on %r failed", name)
        await self._reply(self.plan.subscribed_frame, {**envelope, **reply})
        feed.epoch = position.epoch
        feed.last = since.offset if since is not None and entries is not None else position.offset
        for offset, record in entries or ():
            await deliver(self, feed, name, record["event"], offset, position.epoch, record)
        buffered, feed.buffer = feed.buffer or [], None
        for push in buffered:
            await accept_push(self, feed, push)
        try:
            await subscription.on_subscribe()
        except Exception:
            logger.exception("%s.on_subscribe raised", topic_class.__qualname__)

    async def unsubscribe(self, name: str, envelope: dict[str, Any]) -> None:
        """Leave `name` and confirm (a topic not subscribed to is an error)."""
        if name not in self.subscriptions:
            await self._error(envelope, "not_subscribed", f"Not subscribed to '{name}'.")
            return
        await self._leave(name)
        await self._reply(self.plan.unsubscribed_frame, envelope)

    async def open(self) -> None:
        """Subscribe the default topic (a route of `Topic.as_consumer()`) on connect."""
        if self.plan.default_topic is None:
            return
        try:
            name = self._default_name()
        except FrameError as error:
            await self._send(error.to_message(), {})
            return
        envelope = {"version": ENVELOPE_VERSION, "topic": name}
        try:
            await self.subscribe(name, envelope, None)
        except Exception:
            logger.exception("subscribing to the default topic %r failed", name)
            await self._send_internal(envelope)

    async def close(self) -> None:
        """Leave every topic (the connection closed); errors are logged, never raised."""
        for name in list(self.subscriptions):
            try:
                await self._leave(name)
            except Exception:
                logger.exception("leaving topic %r failed", name)

    async def _leave(self, name: str) -> None:
        subscription = self.subscriptions.pop(name)
        self._feeds.pop(name, None)
        topic_class = type(subscription)
        try:
            await subscription.on_unsubscribe()
        except Exception:
            logger.exception("%s.on_unsubscribe raised", topic_class.__qualname__)
        layer = self.consumer.channel_layer
        assert layer is not None
        await layer.group_discard(topic_class.group_name(name), self.consumer.channel_name)
        if topic_class.track_presence:
            await presence.leave(subscription, self.store(), layer)

    def _default_name(self) -> str:
        default = self.plan.default_topic
        assert default is not None
        params = self.consumer.scope.get("path_params") or {}
        missing = [p for p in default.topic.param_names if p not in params]
        if missing:
            raise FrameError(
                "unknown_topic",
                f"The route lacks the URL parameters {missing} of {default.topic.pattern!r}.",
            )
        return default.topic.pattern.format(**{p: params[p] for p in default.topic.param_names})

    # -- pushes -----------------------------------------------------------------------------

    async def serve_push(self, message: dict[str, Any]) -> None:
        """Serve one topic push from the channel layer."""
        feed = self._feeds.get(message["topic"])
        if feed is None:
            return
        if feed.buffer is not None:  # still replaying the history: live pushes wait
            feed.buffer.append(message)
            return
        envelope = message["envelope"]
        offset = envelope.get("offset")
        if feed.forward and offset == feed.last + 1 and envelope["epoch"] == feed.epoch:
            feed.last = offset  # the next push in order, already encoded: send it as is
            await self.consumer._send_frame(message["frame"])
            return
        await accept_push(self, feed, message)

    async def call(
        self, route: Route, target: Any, message: BaseMessage, envelope: dict[str, Any]
    ) -> None:
        """Run a handler; send its reply with `envelope`; a failure is an error frame."""
        try:
            result = await route.func(target, message)
        except Exception:
            logger.exception(
                "%s.%s raised while handling a message",
                type(target).__qualname__,
                route.method_name,
            )
            await self._send_internal(envelope)
            return
        if result is None:
            return
        if not isinstance(result, BaseMessage):
            logger.error(
                "%s.%s returned %s, not a message: nothing was sent.",
                type(target).__qualname__,
                route.method_name,
                type(result).__qualname__,
            )
            await self._send_internal(envelope)
            return
        await self._send(result, envelope)

    async def _send(self, message: BaseMessage, envelope: dict[str, Any]) -> None:
        codec = self.consumer._plan.codec
        frame: Frame = codec.encode(message)
        if envelope:
            frame = add_envelope(codec, frame, envelope)
        await self.consumer._send_frame(frame, message)

    async def _reply(self, frame: Frame, envelope: dict[str, Any]) -> None:
        """Send a reply encoded once per class, with this frame's envelope."""
        codec = self.consumer._plan.codec
        await self.consumer._send_frame(add_envelope(codec, frame, envelope))

    async def _send_internal(self, envelope: dict[str, Any]) -> None:
        plan = self.consumer._plan
        frame = plan.internal_error_frame
        await self.consumer._send_frame(
            add_envelope(plan.codec, frame, envelope) if envelope else frame
        )

    async def _error(self, envelope: dict[str, Any], reason: str, detail: str) -> None:
        error = TopicErrorMessage(payload=TopicErrorPayload(reason=reason, detail=detail))
        await self._send(error, envelope)

    def store(self) -> TopicStore:
        return topic_store_for(self.consumer.channel_layer)


def consumer_codec_id(consumer: BaseConsumer[Any]) -> str:
    """The wire id of the consumer's codec (`"json"` without formatters)."""
    return consumer._plan.codec.wire_id


def _load(codec: Any, message: MutableMapping[str, Any]) -> dict[str, Any]:
    """Parse one client frame to a dict, formatters applied, or raise the frame's error."""
    text = message.get("text")
    name = codec.wire_name
    if codec.binary and text is not None:
        raise FrameError(
            "unsupported_frame",
            f"This endpoint speaks {name}: send binary {name} frames, not text.",
            text_reply=True,
        )
    if not codec.binary and text is None:
        raise FrameError("invalid_frame", f"Binary frames are not accepted; send {name} text.")
    try:
        data = codec.loads(text if text is not None else message.get("bytes") or b"")
    except ValueError:
        code = "invalid_json" if name == "JSON" else "invalid_frame"
        raise FrameError(code, f"Frame is not valid {name}.") from None
    if not isinstance(data, dict):
        kind = "object" if name == "JSON" else "map"
        raise FrameError("invalid_frame", f"Frame must be a {name} {kind}.")
    return data
