"""`chanx.conf` settings, the close-code table, reason clipping, redaction, rate-limited logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import chanx
from chanx import conf
from chanx.core.close_codes import (
    MAX_REASON_BYTES,
    CloseCode,
    clip_reason,
    for_server,
    should_reconnect,
)
from chanx.core.limits import ConnectionLimits, Limits, TokenBucket, resolve_limits
from chanx.core.safelog import RateLimitedLog, RedactingFilter, redact


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    conf.reset()
    yield
    conf.reset()


def test_defaults_are_safe() -> None:
    s = conf.settings
    assert s.allowed_origins == ()
    assert s.allow_missing_origin is None
    assert s.max_frame_bytes == 1024 * 1024
    assert s.max_pending_frames == 256
    assert s.send_timeout == 10.0
    assert s.auth_timeout == 10.0
    assert s.rate_limit is None
    assert s.max_connections_per_user is None
    assert s.redact_server_logs is True


def test_configure_validates_and_reset_restores() -> None:
    chanx.configure(max_frame_bytes=10, allowed_origins=["https://*.example.com"])
    assert conf.settings.max_frame_bytes == 10
    assert conf.settings.allowed_origins == ("https://*.example.com",)
    with pytest.raises(TypeError, match="Did you mean 'max_frame_bytes'"):
        chanx.configure(max_frame_byte=1)
    with pytest.raises(ValueError, match="positive"):
        chanx.configure(send_timeout=0)
    with pytest.raises(ValueError, match="not an origin"):
        chanx.configure(allowed_origins=["example.com"])
    with pytest.raises(ValueError, match="list of strings"):
        chanx.configure(allowed_origins="https://example.com")
    conf.reset()
    assert conf.settings.max_frame_bytes == 1024 * 1024


def test_configure_from_mapping_takes_upper_case_keys_and_ignores_others() -> None:
    conf.configure_from_mapping({"MAX_FRAME_BYTES": 5, "SEND_COMPLETION": True})
    assert conf.settings.max_frame_bytes == 5


def test_class_attribute_wins_none_means_global() -> None:
    class Consumer(ConnectionLimits):
        max_frame_bytes = 7
        max_pending_frames = 3

    chanx.configure(max_frame_bytes=99, rate_limit=5.0)
    limits = resolve_limits(Consumer())
    assert limits.max_frame_bytes == 7
    assert limits.max_pending_frames == 3
    assert limits.bucket is not None
    assert limits.bucket.burst == 10


def test_frame_size_counts_utf8_bytes_not_characters() -> None:
    limits = Limits(8, 1, 1.0, 1.0, None, 1.0, None)
    assert not limits.frame_too_big({"text": "12345678"})
    assert limits.frame_too_big({"text": "123456789"})
    assert limits.frame_too_big({"text": "ééééé"})  # 5 characters, 10 bytes
    assert not limits.frame_too_big({"text": "éé"})
    assert limits.frame_too_big({"bytes": b"x" * 9})
    assert not limits.frame_too_big({"bytes": b"x" * 8})


def test_token_bucket_spends_and_refills() -> None:
    bucket = TokenBucket(rate=1000.0, burst=3)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    bucket.stamp -= 0.01  # 10 ms later: 10 tokens earned, capped at 3
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]


def test_every_close_code_has_reconnect_advice() -> None:
    for code in CloseCode:
        assert isinstance(should_reconnect(code), bool)
    assert not should_reconnect(CloseCode.MESSAGE_TOO_BIG)
    assert should_reconnect(CloseCode.SLOW_CONSUMER)
    assert should_reconnect(CloseCode.AUTH_TIMEOUT)


def test_protocol_codes_move_to_the_application_range_only_on_daphne() -> None:
    import functools

    class Server:
        def handle_reply(self, protocol: object, message: object) -> None: ...

    Server.handle_reply.__module__ = "daphne.server"
    daphne_send = functools.partial(Server().handle_reply, object())
    assert for_server(1009, daphne_send) == 4009
    assert for_server(1011, daphne_send) == 4011
    assert for_server(1000, daphne_send) == 1000
    assert for_server(4429, daphne_send) == 4429
    assert for_server(1009, print) == 1009
    assert not should_reconnect(4009)
    assert should_reconnect(4011)


@pytest.mark.parametrize("reason", ["", "short", "x" * 200, "é" * 100, "€" * 60, "a" + "😀" * 40])
def test_clip_reason_fits_123_bytes_at_a_character_boundary(reason: str) -> None:
    clipped = clip_reason(reason)
    assert len(clipped.encode()) <= MAX_REASON_BYTES
    assert reason.startswith(clipped)
    if len(reason.encode()) <= MAX_REASON_BYTES:
        assert clipped == reason


@pytest.mark.parametrize(
    "line",
    [
        '127.0.0.1:5 - "WebSocket /ws?token=SECRET" [accepted]',
        "/ws?room=1&access_token=SECRET&x=2",
        "/ws?JWT=SECRET",
        "/ws?a=1;api_key=SECRET",
        "GET /x?password=SECRET HTTP/1.1",
        "/ws?x-signature=SECRET#frag",
    ],
)
def test_redact_hides_sensitive_query_values(line: str) -> None:
    cleaned = redact(line)
    assert "SECRET" not in cleaned
    assert "***" in cleaned


def test_redact_keeps_harmless_parameters() -> None:
    assert redact("/ws?room=lobby&page=2") == "/ws?room=lobby&page=2"


def test_redacting_filter_rewrites_formatted_records() -> None:
    record = logging.LogRecord(
        "uvicorn.error", logging.INFO, "", 0, '"WebSocket %s"', ("/ws?token=abc",), None
    )
    assert RedactingFilter().filter(record)
    assert record.getMessage() == '"WebSocket /ws?token=***"'


def test_rate_limited_log_counts_what_it_suppresses(caplog: pytest.LogCaptureFixture) -> None:
    log = RateLimitedLog(logging.getLogger("chanx.test"), interval=60)
    with caplog.at_level(logging.WARNING, "chanx.test"):
        assert log.warning("dropped %s", "x")
        assert not any(log.warning("dropped %s", "x") for _ in range(100))
        log._next = 0.0
        assert log.warning("dropped %s", "x")
    assert len(caplog.records) == 2
    assert "100 similar warnings suppressed" in caplog.records[1].getMessage()
