"""The component protocols are structural and checkable at runtime."""

from __future__ import annotations

from typing import Any

from chanx.kernel.contracts import ChannelLayer, DocEmitter, Formatter


class Upper:
    name = "upper"

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k.lower(): v for k, v in data.items()}

    def outgoing(self, data: dict[str, Any]) -> dict[str, Any]:
        return {k.upper(): v for k, v in data.items()}


class Text:
    name = "text"
    media_type = "text/plain"

    def emit(self, model: Any) -> str:
        return str(model)


def test_the_in_memory_layer_follows_the_channel_layer_contract() -> None:
    from chanx.layers.memory import InMemoryChannelLayer

    assert isinstance(InMemoryChannelLayer(), ChannelLayer)
    assert not isinstance(object(), ChannelLayer)


def test_formatters_and_doc_emitters_are_recognised_by_shape() -> None:
    assert isinstance(Upper(), Formatter)
    assert isinstance(Text(), DocEmitter)
    assert not isinstance(Text(), Formatter)
    assert not isinstance(Upper(), DocEmitter)
