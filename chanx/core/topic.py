"""`Topic`: one subscribable stream, many of which share one WebSocket connection.

A topic class names a family of streams with a `pattern` (`"room/{room_id}"`); a concrete
topic is a name matching it (`"room/7"`). A consumer mounts topic classes (`topics = [...]`);
a client subscribes to names over the socket and addresses frames to them with the envelope
key `topic`. Each subscription is an instance of the topic class, whose own `@ws_handler`
methods serve the frames addressed to it and whose `@event_handler` methods (if any) shape
the events broadcast to it before they are pushed.

`Topic.broadcast("room/7", event)` works from anywhere in a server (a handler, a view, a
task): it gives the push the topic's next offset, keeps it in the topic's bounded history
(`history_size`, `history_ttl`) and sends it to every subscriber, in every process sharing
the channel layer. A client that reconnects resumes from its last offset. With
`track_presence`, `await RoomTopic.presence("room/7")` lists who is subscribed.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import weakref
from collections.abc import Callable, Coroutine, MutableMapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from chanx.core import sync
from chanx.core.events import TOPIC_TYPE, EventT, dump_event
from chanx.core.topics.envelope import ENVELOPE_VERSION, add_envelope, json_push
from chanx.layers.base import MAX_NAME_LENGTH
from chanx.layers.topics import topic_store_for
from chanx.messages.base import BaseMessage
from chanx.messages.topic import PresenceMember

if TYPE_CHECKING:
    from chanx.core.consumer import BaseConsumer
    from chanx.kernel.contracts import ChannelLayer

__all__ = ["TOPIC_TYPE", "Topic", "current_ref"]

current_ref: ContextVar[Any] = ContextVar("chanx_topic_ref", default=None)
"""The `ref` of the client frame being served (each frame runs in its own context)."""

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_GROUP_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]")
_GROUP_NAME_CACHE = 4096
"""Group names remembered per topic class (computing one hashes the topic name)."""


class Topic(Generic[EventT]):
    """A subscribable stream; subclass it, set `pattern`, add handlers.

    Attributes:
        pattern: Names of this topic's streams, with `{param}` placeholders that match
            anything but `/` (`"room/{room_id}"`).
        channel_layer_alias: The layer broadcasts go through (default: the hosting
            consumer's layer, else the alias "default").
        history_size: Pushes kept per topic name for clients that resume (0: none).
        history_ttl: Seconds a kept push stays resumable (None: until trimmed by size).
        track_presence: Record who is subscribed (`presence()`).
        presence_events: Push `presence_join` / `presence_leave` to the subscribers.
        consumer: The consumer (connection) this subscription belongs to.
        topic: This subscription's topic name.
        params: The pattern's parameters, parsed from `topic`.
    """

    pattern: ClassVar[str]
    channel_layer_alias: ClassVar[str | None] = None
    history_size: ClassVar[int] = 0
    history_ttl: ClassVar[float | None] = None
    track_presence: ClassVar[bool] = False
    presence_events: ClassVar[bool] = False
    param_names: ClassVar[tuple[str, ...]] = ()

    _regex: ClassVar[re.Pattern[str]]
    _group_names: ClassVar[dict[str, str]]
    _localns: ClassVar[dict[str, Any]] = {}
    _hosts: ClassVar[list[type[BaseConsumer[Any]]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        from chanx.core.routes import definition_namespace

        cls._localns = definition_namespace()
        cls._hosts = []
        pattern = cls.__dict__.get("pattern")
        if pattern is None:
            return
        if not isinstance(pattern, str) or not pattern:
            raise TypeError(f"{cls.__qualname__}.pattern must be a non-empty string.")
        names = tuple(_PARAM.findall(pattern))
        if len(set(names)) != len(names):
            raise TypeError(f"{cls.__qualname__}.pattern {pattern!r} repeats a parameter name.")
        regex = "".join(
            f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part)
            for i, part in enumerate(_PARAM.split(pattern))
        )
        cls.param_names = names
        cls._regex = re.compile(regex)

    def __init__(self, consumer: BaseConsumer[Any], topic: str) -> None:
        self.consumer = consumer
        self.topic = topic
        self.params: dict[str, str] = self.parse(topic) or {}

    # -- what a subscription sees -----------------------------------------------------------

    @property
    def user(self) -> Any:
        """The connection's authenticated user (None without an authenticator)."""
        return self.consumer.user

    @property
    def scope(self) -> MutableMapping[str, Any]:
        """The connection's ASGI scope."""
        return self.consumer.scope

    async def authorize(self, **params: str) -> bool:
        """Whether this connection may subscribe; override to restrict (default: yes)."""
        return True

    async def on_subscribe(self) -> None:
        """Runs once the connection is subscribed (after the reply and any resumed pushes)."""

    async def on_unsubscribe(self) -> None:
        """Runs when the connection leaves the topic: on unsubscribe or disconnect."""

    async def presence_info(self) -> dict[str, Any] | None:
        """The info other subscribers see for this connection (`track_presence`)."""
        return None

    async def send_message(self, message: BaseMessage) -> None:
        """Send `message` to this connection, stamped with this topic (and the frame's ref)."""
        consumer = self.consumer
        codec = consumer._plan.codec
        envelope: dict[str, Any] = {"version": ENVELOPE_VERSION, "topic": self.topic}
        ref = current_ref.get()
        if ref is not None:
            envelope["ref"] = ref
        await consumer._send_frame(add_envelope(codec, codec.encode(message), envelope), message)

    # -- class-level API --------------------------------------------------------------------

    @classmethod
    def parse(cls, topic: str) -> dict[str, str] | None:
        """The parameters of `topic`, or None when it does not match `pattern`."""
        regex = cls.__dict__.get("_regex") or getattr(cls, "_regex", None)
        if regex is None:
            return None
        match = regex.fullmatch(topic)
        return None if match is None else match.groupdict()

    @classmethod
    def group_name(cls, topic: str) -> str:
        """The channel-layer group of `topic` (valid whatever characters the name has)."""
        cache = cls.__dict__.get("_group_names")
        if cache is None:
            cache = cls._group_names = {}
        name = cache.get(topic)
        if name is None:
            safe = _GROUP_UNSAFE.sub("_", topic)
            name = f"topic.{cls.__name__}.{safe}"
            if safe != topic or len(name) >= MAX_NAME_LENGTH:
                digest = hashlib.sha1(topic.encode()).hexdigest()[:12]
                name = f"{name[: MAX_NAME_LENGTH - 15]}.{digest}"
            if len(cache) >= _GROUP_NAME_CACHE:
                cache.clear()
            cache[topic] = name
        return name

    @classmethod
    def get_channel_layer(cls) -> ChannelLayer:
        """The layer this topic broadcasts through (see `channel_layer_alias`)."""
        from chanx.layers.exceptions import LayerNotConfigured

        if cls.channel_layer_alias is None and cls._hosts:
            layer = cls._hosts[0].get_channel_layer()
        else:
            from chanx.layers import get_channel_layer

            layer = get_channel_layer(cls.channel_layer_alias or "default")
        if layer is None:
            raise LayerNotConfigured(
                f"{cls.__qualname__}: no channel layer to broadcast through; set "
                f"channel_layer_alias or configure the 'default' layer."
            )
        return layer

    @classmethod
    async def broadcast(cls, topic: str, event: BaseMessage, *, seq: int | None = None) -> None:
        """Push `event` to every subscriber of `topic`, in every process.

        The push gets the topic's next offset and is kept in its history
        (`history_size`, `history_ttl`) for clients that resume.

        Args:
            topic: The topic name (it must match `pattern`).
            event: The message to push (an `@event_handler` of the topic may reshape it).
            seq: A number of the caller's own, passed to clients unchanged.

        Raises:
            ValueError: `topic` does not match this class's pattern.
        """
        if cls.parse(topic) is None:
            raise ValueError(
                f"{cls.__qualname__}.broadcast: {topic!r} does not match {cls.pattern!r}."
            )
        layer = cls.get_channel_layer()
        data = dump_event(event)
        record: dict[str, Any] = {"event": data, "seq": seq}
        async with _order_lock(topic):
            position = await topic_store_for(layer).append(
                topic, record, size=cls.history_size, ttl=cls.history_ttl
            )
            await layer.group_send(
                cls.group_name(topic),
                push_message(topic, record, position.offset, position.epoch),
            )

    @classmethod
    def broadcast_sync(cls, topic: str, event: BaseMessage, *, seq: int | None = None) -> None:
        """`broadcast` for synchronous code (views, task functions, commands)."""

        def make() -> Coroutine[Any, Any, None]:
            return cls.broadcast(topic, event, seq=seq)

        runner: Callable[[Callable[[], Coroutine[Any, Any, None]]], None] | None = (
            getattr(cls._hosts[0], "_run_sync", None) if cls._hosts else None
        )
        if runner is not None:
            runner(make)
        else:
            sync.run_sync(make)

    @classmethod
    async def presence(cls, topic: str) -> list[PresenceMember]:
        """Who is subscribed to `topic` now, in every process (needs `track_presence`)."""
        if not cls.track_presence:
            raise TypeError(
                f"{cls.__qualname__}.presence: set track_presence = True on the topic class."
            )
        store = topic_store_for(cls.get_channel_layer())
        return [PresenceMember(id=m, info=i) for m, i in await store.presence_members(topic)]

    @classmethod
    def as_consumer(cls, base: type[Any] | None = None, **attributes: Any) -> type[Any]:
        """A consumer class serving only this topic, on its own route.

        Connecting subscribes to the topic named by the route's URL parameters (which
        must include every parameter of `pattern`); frames without a `topic` key belong
        to it, so clients of a dedicated route need no envelope.

        Args:
            base: The consumer base class (default: the adapter in use, Starlette's or
                Django's `AsyncJsonWebsocketConsumer`).
            **attributes: Class attributes of the consumer (`send_completion=True`, ...).
        """
        if base is None:
            base = _adapter_base(cls)
        namespace = {"topics": [cls], "default_topic": cls, "__module__": cls.__module__}
        namespace.update(attributes)
        return type(f"{cls.__name__}Consumer", (base,), namespace)


def push_message(
    topic: str, record: dict[str, Any], offset: int | None, epoch: str | None
) -> dict[str, Any]:
    """The layer message of one push (`record`: the event and the caller's seq)."""
    envelope: dict[str, Any] = {"version": ENVELOPE_VERSION, "topic": topic}
    if offset is not None:
        envelope["offset"] = offset
        envelope["epoch"] = epoch
    if record.get("seq") is not None:
        envelope["seq"] = record["seq"]
    return {
        "type": TOPIC_TYPE,
        "topic": topic,
        "event": record["event"],
        "envelope": envelope,
        "frame": json_push(record["event"], envelope),
    }


_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)
_STRIPES = 64


def _order_lock(topic: str) -> asyncio.Lock:
    """One of a few locks of this loop, so pushes of one topic leave a process in order."""
    loop = asyncio.get_running_loop()
    stripes = _locks.get(loop)
    if stripes is None:
        stripes = _locks[loop] = [asyncio.Lock() for _ in range(_STRIPES)]
    return stripes[hash(topic) % _STRIPES]


def _adapter_base(topic: type[Topic[Any]]) -> type[Any]:
    """The one adapter consumer base imported in this process."""
    from chanx.core.consumer import BaseConsumer

    bases = [
        c
        for c in BaseConsumer.__subclasses__()
        if c.__module__ in ("chanx.fast_channels.websocket", "chanx.channels.websocket")
    ]
    if len(bases) != 1:
        raise TypeError(
            f"{topic.__qualname__}.as_consumer(): cannot tell which adapter to use "
            f"({len(bases)} imported); pass base=AsyncJsonWebsocketConsumer from "
            f"chanx.fast_channels.websocket or chanx.channels.websocket."
        )
    return bases[0]
