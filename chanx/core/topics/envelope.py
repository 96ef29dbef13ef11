"""The envelope: routing keys that travel next to a message on the same flat frame.

Inbound, a frame may carry `version` (1), `topic` and `ref`; they are removed before the rest
is validated as a message. Outbound, replies carry `version`, `topic` (for a topic frame) and
the client's `ref`; pushes carry `version`, `topic`, `offset`, `epoch` and, when the
broadcaster gave one, `seq`. Keys are added to the encoded frame: a JSON frame is spliced
(no re-serialization), other wires are decoded, extended and written again.
"""

from __future__ import annotations

from typing import Any

import pydantic_core

from chanx.core.codec import Frame, FrameError, WireCodec

__all__ = [
    "ENVELOPE_KEYS",
    "ENVELOPE_VERSION",
    "Envelope",
    "add_envelope",
    "split_envelope",
]

ENVELOPE_VERSION = 1
"""The envelope version this server speaks."""
ENVELOPE_KEYS = frozenset({"version", "topic", "ref", "seq", "offset", "epoch", "recovered"})
"""Keys a client should strip from a frame before validating it as a message."""

Envelope = dict[str, Any]


def split_envelope(data: dict[str, Any]) -> tuple[str | None, Any]:
    """Remove `version`, `topic` and `ref` from an inbound frame; return (topic, ref).

    Raises:
        FrameError: The frame names an envelope version this server does not speak, or a
            topic that is not a string.
    """
    version = data.pop("version", None)
    topic = data.pop("topic", None)
    ref = data.pop("ref", None)
    if version is not None and version != ENVELOPE_VERSION:
        raise FrameError(
            "invalid_frame", f"Envelope version {version!r} is not supported; send version 1."
        )
    if topic is not None and not isinstance(topic, str):
        raise FrameError("invalid_frame", "The envelope's 'topic' must be a string.")
    return topic, ref


def add_envelope(codec: WireCodec, frame: Frame, envelope: Envelope) -> Frame:
    """`frame` (one encoded message) with the `envelope` keys added."""
    if isinstance(frame, str):
        keys = pydantic_core.to_json(envelope).decode()
        return f"{frame[:-1]},{keys[1:]}" if len(frame) > 2 else keys
    data = codec.loads(frame)
    data.update(envelope)
    return codec.dumps(data)


def json_push(event: dict[str, Any], envelope: Envelope) -> str:
    """A JSON push frame for `event` (an already dumped message) with `envelope`."""
    return pydantic_core.to_json({**event, **envelope}).decode()
