"""The generated runtime's parts on their own: MessagePack codec, close codes, backoff."""

from __future__ import annotations

from typing import Any

import msgpack  # type: ignore[import-untyped]
import pytest
from chanx_docs_python_client.runtime import _msgpack
from chanx_docs_python_client.runtime._runtime import (
    FINAL_CLOSE_CODES,
    RECONNECT_CLOSE_CODES,
    Backoff,
    ChannelClient,
)

from chanx.core.close_codes import should_reconnect

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    127,
    128,
    -1,
    -33,
    2**16,
    2**40,
    -(2**40),
    1.5,
    "",
    "é" * 40,
    "x" * 70_000,
    b"\x00\x01",
    list(range(20)),
    {"k": {"nested": [1, "two", None]}, **{f"key{i}": i for i in range(20)}},
]


@pytest.mark.parametrize("value", VALUES)
def test_the_codec_agrees_with_the_msgpack_library(value: Any) -> None:
    packed = _msgpack.packb(value)
    assert msgpack.unpackb(packed, raw=False) == value
    assert _msgpack.unpackb(msgpack.packb(value, use_bin_type=True)) == value
    assert _msgpack.unpackb(packed) == value


@pytest.mark.parametrize("frame", [b"\x92\x01", b"\x01\x02", b"\xc1"])
def test_malformed_frames_are_value_errors(frame: bytes) -> None:
    with pytest.raises(ValueError, match=r"truncated|extra bytes|unsupported"):
        _msgpack.unpackb(frame)


def test_close_codes_follow_the_server_policy() -> None:
    assert {1001, 1006, 1011, 1012, 4499} <= RECONNECT_CLOSE_CODES
    assert {1008, 4401, 4403, 4404} <= FINAL_CLOSE_CODES
    assert not RECONNECT_CLOSE_CODES & FINAL_CLOSE_CODES
    for code in (1001, 1011, 1012, 4499, 1008, 4401, 4403, 4404):
        assert (code in RECONNECT_CLOSE_CODES) is should_reconnect(code)


def test_backoff_is_jittered_and_bounded() -> None:
    backoff = Backoff(initial=0.5, maximum=4.0)
    delays = [backoff.delay(attempt) for attempt in range(12) for _ in range(20)]
    assert all(0 <= d <= 4.0 for d in delays)
    assert len(set(delays)) > 100
    assert max(backoff.delay(0) for _ in range(200)) <= 0.5


def test_path_parameters_are_quoted() -> None:
    assert ChannelClient.fill("/ws/{room}/{id}", {"room": "a b/c", "id": 7}) == "/ws/a%20b%2Fc/7"
