"""Test helpers for chanx applications and plugins.

- `WebsocketCommunicator`: drive a consumer in-process, waiting on completion signals.
- `LiveServer`: real uvicorn on loopback for end-to-end tests.
- `capture_broadcast_events`: record the events a test causes to be sent.
- `capture_topic_broadcasts`: record what a topic broadcast (`chanx.testing.topics`).
- `LayerContract`: the test suite every channel layer passes (needs pytest).
- `FormatterContract`: the test suite every formatter passes (needs pytest and starlette).
- `AuthenticatorContract`: the test suite every authenticator passes (needs pytest).
- `chanx.testing.django`: communicator and test case for Django Channels (import it directly).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chanx.testing.authenticator_contract import AuthenticatorContract
    from chanx.testing.capture import CapturedEvent, capture_broadcast_events
    from chanx.testing.communicator import WebsocketCommunicator
    from chanx.testing.formatter_contract import FormatterContract
    from chanx.testing.layer_contract import LayerContract
    from chanx.testing.server import LiveServer
    from chanx.testing.topics import CapturedTopicBroadcast, capture_topic_broadcasts

__all__ = [
    "AuthenticatorContract",
    "CapturedEvent",
    "CapturedTopicBroadcast",
    "FormatterContract",
    "LayerContract",
    "LiveServer",
    "WebsocketCommunicator",
    "capture_broadcast_events",
    "capture_topic_broadcasts",
]

_HOMES = {
    "AuthenticatorContract": "chanx.testing.authenticator_contract",
    "CapturedEvent": "chanx.testing.capture",
    "capture_broadcast_events": "chanx.testing.capture",
    "WebsocketCommunicator": "chanx.testing.communicator",
    "FormatterContract": "chanx.testing.formatter_contract",
    "LayerContract": "chanx.testing.layer_contract",
    "LiveServer": "chanx.testing.server",
    "CapturedTopicBroadcast": "chanx.testing.topics",
    "capture_topic_broadcasts": "chanx.testing.topics",
}


def __getattr__(name: str) -> Any:
    """Import helpers on first use, so `chanx.testing` does not need pytest to import."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'chanx.testing' has no attribute {name!r}")
    return getattr(import_module(home), name)
