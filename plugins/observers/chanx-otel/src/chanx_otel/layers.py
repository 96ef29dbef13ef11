"""Channel-layer metrics, read from the layers' own counters when metrics are collected.

chanx layers count what they do in `layer.stats` (`sent`, `delivered`, `dropped_full`,
`expired`; the Redis layer adds `published`, `unavailable`, `unroutable`, `reconnects`).
Nothing is recorded per message: the observable instruments read those counters at each
collection, for every layer an observed consumer used (to serve a connection or to send).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

from opentelemetry.metrics import CallbackOptions, Observation

__all__ = ["DROP_REASONS", "LayerWatch"]

DROP_REASONS: dict[str, str] = {
    "capacity": "dropped_full",
    "expired": "expired",
    "unavailable": "unavailable",
    "unroutable": "unroutable",
}
"""`chanx.drop.reason` value -> the `layer.stats` counter it reads."""


class LayerWatch:
    """The layers seen so far, each with the label its metrics carry (`chanx.layer`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._layers: dict[int, tuple[weakref.ref[Any], str]] = {}

    def watch(self, layer: Any, alias: str | None) -> None:
        """Remember `layer` (first label wins); a layer without `stats` is ignored."""
        if layer is None or id(layer) in self._layers or getattr(layer, "stats", None) is None:
            return
        label = alias or type(layer).__name__
        with self._lock:
            self._prune()
            self._layers.setdefault(id(layer), (weakref.ref(layer), label))

    def _prune(self) -> None:
        for key, (ref, _) in list(self._layers.items()):
            if ref() is None:
                del self._layers[key]

    def _stats(self) -> list[tuple[str, Any]]:
        found = []
        for ref, label in list(self._layers.values()):
            layer = ref()
            if layer is not None:
                found.append((label, layer.stats))
        return found

    def _read(self, field: str) -> list[Observation]:
        return [
            Observation(int(getattr(stats, field)), {"chanx.layer": label})
            for label, stats in self._stats()
            if hasattr(stats, field)
        ]

    def observe_sent(self, options: CallbackOptions) -> Iterable[Observation]:
        """`chanx.layer.messages.sent`: `stats.sent` plus `stats.published` (Redis)."""
        return [
            Observation(
                int(stats.sent) + int(getattr(stats, "published", 0)), {"chanx.layer": label}
            )
            for label, stats in self._stats()
        ]

    def observe_delivered(self, options: CallbackOptions) -> Iterable[Observation]:
        """`chanx.layer.messages.delivered`: `stats.delivered`."""
        return self._read("delivered")

    def observe_dropped(self, options: CallbackOptions) -> Iterable[Observation]:
        """`chanx.layer.messages.dropped`, one series per reason the layer counts."""
        return [
            Observation(
                int(getattr(stats, field)), {"chanx.layer": label, "chanx.drop.reason": reason}
            )
            for label, stats in self._stats()
            for reason, field in DROP_REASONS.items()
            if hasattr(stats, field)
        ]

    def observe_reconnects(self, options: CallbackOptions) -> Iterable[Observation]:
        """`chanx.layer.redis.reconnects`: `stats.reconnects` of layers that count them."""
        return self._read("reconnects")
