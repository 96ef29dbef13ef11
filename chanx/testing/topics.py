"""Test helpers for topics: subscribe from a communicator, capture what a topic broadcast.

Both communicators (`chanx.testing.WebsocketCommunicator` and
`chanx.testing.django.WebsocketCommunicator`) have `subscribe`, `unsubscribe` and
`send_to_topic`; `capture_topic_broadcasts` records `Topic.broadcast` calls.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chanx.core.topics.envelope import ENVELOPE_VERSION
from chanx.messages.base import BaseMessage

__all__ = ["CapturedTopicBroadcast", "TopicClientMixin", "capture_topic_broadcasts"]

_refs = itertools.count(1)


class TopicClientMixin:
    """Topic helpers for a communicator that has `send_message` and `receive_json`.

    Attributes:
        skipped: Frames that arrived before a reply the helpers waited for (pushes of
            other topics, for example), oldest first; tests may inspect or clear it.
    """

    skipped: list[dict[str, Any]]

    if TYPE_CHECKING:  # provided by the communicator

        async def send_message(self, message: BaseMessage | dict[str, Any]) -> None: ...

        async def receive_json(self, timeout: float | None = None) -> dict[str, Any]: ...

    async def subscribe(
        self,
        topic: str,
        *,
        since: dict[str, Any] | None = None,
        ref: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Subscribe to `topic` and return the reply (`subscribed` or an `error`).

        Args:
            topic: The topic name.
            since: `{"offset": N, "epoch": E}` to resume after offset N.
            ref: The frame's ref (default: a fresh one).
            timeout: Seconds to wait for the reply.
        """
        frame: dict[str, Any] = {"action": "subscribe"}
        if since is not None:
            frame["since"] = since
        return await self._request(topic, frame, ref, timeout)

    async def unsubscribe(
        self, topic: str, *, ref: str | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        """Unsubscribe from `topic` and return the reply (`unsubscribed` or an `error`)."""
        return await self._request(topic, {"action": "unsubscribe"}, ref, timeout)

    async def send_to_topic(
        self, topic: str, message: BaseMessage | dict[str, Any], *, ref: str | None = None
    ) -> None:
        """Send `message` addressed to `topic` (with `ref`, if given)."""
        data = (
            message.model_dump(mode="json", by_alias=True)
            if isinstance(message, BaseMessage)
            else dict(message)
        )
        data.update(version=ENVELOPE_VERSION, topic=topic)
        if ref is not None:
            data["ref"] = ref
        await self.send_message(data)

    async def _request(
        self, topic: str, frame: dict[str, Any], ref: str | None, timeout: float | None
    ) -> dict[str, Any]:
        ref = ref if ref is not None else f"t{next(_refs)}"
        await self.send_to_topic(topic, frame, ref=ref)
        if not hasattr(self, "skipped"):
            self.skipped = []
        while True:
            reply = await self.receive_json(timeout)
            if reply.get("ref") == ref and reply.get("topic") == topic:
                return reply
            self.skipped.append(reply)


@dataclass(frozen=True, slots=True)
class CapturedTopicBroadcast:
    """One `Topic.broadcast` call seen by `capture_topic_broadcasts`."""

    topic: str
    event: BaseMessage
    seq: int | None


@contextmanager
def capture_topic_broadcasts(
    topic_class: Any, *, suppress: bool = True
) -> Iterator[list[CapturedTopicBroadcast]]:
    """Record the broadcasts of `topic_class` (and its subclasses) made inside the block.

    Args:
        topic_class: The `Topic` subclass whose broadcasts to record.
        suppress: Record without delivering (default); False delivers them as well.

    Yields:
        The list the records are appended to, in order.
    """
    captured: list[CapturedTopicBroadcast] = []
    original = topic_class.__dict__.get("broadcast")
    deliver = topic_class.broadcast

    async def spy(cls: Any, topic: str, event: BaseMessage, *, seq: int | None = None) -> None:
        captured.append(CapturedTopicBroadcast(topic, event, seq))
        if not suppress:
            await deliver.__func__(cls, topic, event, seq=seq)

    topic_class.broadcast = classmethod(spy)
    try:
        yield captured
    finally:
        if original is not None:
            topic_class.broadcast = original
        else:
            del topic_class.broadcast
