"""`EventSender`: the class-level event API of consumers, callable from anywhere in a server.

`send_event` / `broadcast_event` put an event on the channel layer for one connection or for
groups; the connections' `@event_handler` methods (or passthrough) serve it. Their `_sync`
twins do the same from synchronous code (views, task functions, management commands); an
adapter changes how they reach the event loop by overriding `_run_sync`.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic

from typing_extensions import TypeVar

from chanx.core import sync
from chanx.core.groups import default_groups, target_groups
from chanx.messages.base import BaseMessage

if TYPE_CHECKING:
    from chanx.kernel.contracts import ChannelLayer

__all__ = ["EVENT_TYPE", "RELAY_TYPE", "TOPIC_TYPE", "CapturedEvent", "EventSender", "EventT"]

EventT = TypeVar("EventT", bound=BaseMessage, default=BaseMessage)

EVENT_TYPE = "chanx.event"
"""Layer message type of an event: `{"type": EVENT_TYPE, "event": {...}}`."""
RELAY_TYPE = "chanx.relay"
"""Layer message type of a `broadcast_message` relay (a frame encoded once by the sender)."""
TOPIC_TYPE = "chanx.topic"
"""Layer message type of a topic push (served by the consumer's topic session)."""


@dataclass(frozen=True, slots=True)
class CapturedEvent:
    """An event sent through `send_event` / `broadcast_event`, as seen by a capture."""

    consumer: type
    event: BaseMessage
    groups: tuple[str, ...] = ()
    channel_name: str | None = None


event_taps: list[Callable[[CapturedEvent], None]] = []
"""Observers of sent events (`chanx.testing.capture_broadcast_events`); empty in production."""


class EventSender(Generic[EventT]):
    """Class-level event API; `EventT` (optional) types the events for static checkers."""

    # Declared here, given their defaults by the consumer class (see BaseConsumer).
    channel_layer_alias: ClassVar[str | None]
    groups: list[str]
    __chanx_plan__: ClassVar[Any]  # the class's ConsumerPlan (its observer stamps events)

    @classmethod
    async def send_event(cls, event: EventT, channel_name: str) -> None:
        """Send `event` to the one connection whose channel is `channel_name`."""
        layer = cls._layer_for_events("send_event")
        for tap in event_taps:
            tap(CapturedEvent(cls, event, channel_name=channel_name))
        payload = {"type": EVENT_TYPE, "event": dump_event(event)}
        if cls.__chanx_plan__.observer is not None:
            cls.__chanx_plan__.observer.stamp(payload, layer)
        await layer.send(channel_name, payload)

    @classmethod
    async def broadcast_event(
        cls, event: EventT, groups: Iterable[str] | str | None = None
    ) -> None:
        """Send `event` to every connection in `groups` (default: the class's `groups`)."""
        layer = cls._layer_for_events("broadcast_event")
        targets = target_groups(default_groups(cls), groups)
        for tap in event_taps:
            tap(CapturedEvent(cls, event, groups=targets))
        payload = {"type": EVENT_TYPE, "event": dump_event(event)}
        if cls.__chanx_plan__.observer is not None:
            cls.__chanx_plan__.observer.stamp(payload, layer)
        for group in targets:
            await layer.group_send(group, payload)

    @classmethod
    def send_event_sync(cls, event: EventT, channel_name: str) -> None:
        """`send_event` for synchronous code (views, task functions, commands).

        Returns once the layer's broker has the event (see `chanx.layers.confirmed_sends`),
        so the caller may exit right afterwards; raises the layer's error if it could not.
        """
        cls._run_sync(lambda: _confirmed(cls.send_event(event, channel_name)))

    @classmethod
    def broadcast_event_sync(cls, event: EventT, groups: Iterable[str] | str | None = None) -> None:
        """`broadcast_event` for synchronous code (views, task functions, commands).

        Returns once the layer's broker has the event for every group, or raises the layer's
        error (for example `RedisUnavailable`) if it could not be sent.
        """
        cls._run_sync(lambda: _confirmed(cls.broadcast_event(event, groups)))

    @classmethod
    def _run_sync(cls, make: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run an event coroutine from sync code (see `chanx.core.sync.run_sync`)."""
        sync.run_sync(make)

    @classmethod
    def get_channel_layer(cls) -> ChannelLayer | None:
        """The layer behind `channel_layer_alias` (adapters may override the lookup)."""
        if cls.channel_layer_alias is None:
            return None
        from chanx.layers import get_channel_layer

        return get_channel_layer(cls.channel_layer_alias)

    @classmethod
    def _layer_for_events(cls, what: str) -> ChannelLayer:
        from chanx.layers.exceptions import LayerNotConfigured

        alias = cls.channel_layer_alias
        try:
            layer = cls.get_channel_layer()
        except LayerNotConfigured as missing:
            raise LayerNotConfigured(f"{cls.__qualname__}.{what}: {missing}") from None
        if layer is None and alias is not None:
            raise LayerNotConfigured(
                f"{cls.__qualname__}.{what}: no channel layer is configured under the alias "
                f"{alias!r}. Add it to CHANNEL_LAYERS (Django) or configure_layers(), or set "
                f"channel_layer_alias to a configured alias."
            )
        if layer is None:
            raise RuntimeError(
                f"{cls.__qualname__}.{what}: channel_layer_alias is None, so this consumer "
                f"has no channel layer to send events through."
            )
        return layer


async def _confirmed(send: Coroutine[Any, Any, None]) -> None:
    """Await `send` with confirmed layer sends (a sync caller may end its loop right after)."""
    from chanx.layers.confirm import confirmed_sends

    with confirmed_sends():
        await send


def dump_event(event: BaseMessage) -> dict[str, Any]:
    """Events travel as JSON-able dicts, by alias: receivers validate them by alias."""
    return event.model_dump(mode="json", by_alias=True)
