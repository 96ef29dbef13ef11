"""Hostile frames against real uvicorn, on both adapters.

Each case asserts the documented outcome (an error frame, or a close code), that nothing
sensitive comes back, and that the worker keeps serving a second connection.
"""

from __future__ import annotations

import asyncio
import json
import logging
import zlib

import pytest
import websockets

from chanx.core.close_codes import CloseCode

from .conftest import SECRET, News, Served, closed_with, eventually, record, recv_json

pytestmark = pytest.mark.e2e


async def error_code(ws: websockets.ClientConnection, frame: str | bytes) -> str:
    await ws.send(frame)
    reply = await recv_json(ws)
    assert reply["action"] == "error"
    text = json.dumps(reply)
    if isinstance(frame, str) and len(frame) > 8:
        assert frame[:64] not in text  # no input echo
    return str(reply["payload"]["code"])


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (f'{{"action": "ping", "payload": "{SECRET}"', "invalid_json"),
        (f"[1, 2, {SECRET!r}]", "invalid_json"),
        ('["ping", "' + SECRET + '"]', "invalid_frame"),
        (f'"{SECRET}"', "invalid_frame"),
        ("42", "invalid_frame"),
        ("null", "invalid_frame"),
        (f'{{"nope": "{SECRET}"}}', "missing_action"),
        (f'{{"action": "{SECRET}"}}', "unknown_action"),
        (f'{{"action": "count", "payload": "{SECRET}"}}', "invalid_message"),
        ("[" * 50_000 + "]" * 50_000, "invalid_json"),
        ('{"action": "ping", "payload": ' + '{"a": ' * 20_000 + "1" + "}" * 20_001, "invalid_json"),
        ('{"action": "ping", "action": "' + SECRET + '"}', "unknown_action"),
    ],
    ids=[
        "truncated",
        "single-quotes",
        "array",
        "string",
        "number",
        "null",
        "no-action",
        "unknown-action",
        "wrong-type",
        "nested-arrays",
        "nested-objects",
        "duplicate-keys-last-wins",
    ],
)
async def test_bad_json_gets_one_error_frame_and_the_socket_stays(
    served: Served, frame: str, code: str
) -> None:
    async with served.connect() as ws:
        assert await error_code(ws, frame) == code
        await ws.send('{"action": "ping", "payload": 1}')
        assert await recv_json(ws) == {"action": "pong", "payload": 1}
    await served.assert_serving()


async def test_huge_integer_is_served_without_blocking(served: Served) -> None:
    digits = "9" * 4000  # below Python's int-from-string limit: a valid, huge int
    async with served.connect() as ws:
        await ws.send(f'{{"action": "count", "payload": {digits}}}')
        assert await recv_json(ws, timeout=2) == {"action": "pong", "payload": 13288}
        code = await error_code(ws, f'{{"action": "count", "payload": {"9" * 100_000}}}')
        assert code in {"invalid_json", "invalid_message"}
        await ws.send('{"action": "ping", "payload": 1e999999}')  # inf, sent back as null
        assert await recv_json(ws, timeout=2) == {"action": "pong", "payload": None}
    await served.assert_serving()


async def test_binary_frames_get_an_error_frame(served: Served) -> None:
    async with served.connect() as ws:
        assert await error_code(ws, b'{"action": "ping"}') == "invalid_frame"
        assert await error_code(ws, b"\xff\xfe" + SECRET.encode()) == "invalid_frame"
    await served.assert_serving()


async def test_text_frame_that_is_not_utf8_is_closed_by_the_server_with_1007(
    served: Served,
) -> None:
    async with served.connect() as ws:
        await ws.send(b'{"action": "\xff\xfe"}', text=True)
        code, reason = await closed_with(ws)
    assert code == CloseCode.INVALID_PAYLOAD
    assert SECRET not in reason
    await served.assert_serving()


async def test_handler_exception_text_never_reaches_the_client(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    async with served.connect() as ws:
        await ws.send(f'{{"action": "boom", "payload": "{SECRET}"}}')
        reply = await recv_json(ws)
        assert reply["payload"]["code"] == "internal_error"
        assert "Traceback" not in json.dumps(reply)
    assert any(SECRET in r.getMessage() or r.exc_info for r in caplog.records)
    await served.assert_serving()


@pytest.mark.parametrize("kind", ["text", "bytes"])
async def test_oversize_frame_closes_with_1009_before_decoding(served: Served, kind: str) -> None:
    body = '{"action": "ping", "payload": "' + "x" * 1000 + '"}'
    async with served.connect("limited", compression=None) as ws:
        await ws.send('{"action": "ping"}')
        assert (await recv_json(ws))["action"] == "pong"
        await ws.send(body if kind == "text" else body.encode())
        code, reason = await closed_with(ws)
    assert code == CloseCode.MESSAGE_TOO_BIG
    assert reason == "frame too big"
    await served.assert_serving()


async def test_multibyte_text_is_measured_in_utf8_bytes(served: Served) -> None:
    async with served.connect("limited") as ws:
        await ws.send('{"action": "ping", "payload": "' + "é" * 600 + '"}')  # < 1000 chars
        code, _ = await closed_with(ws)
    assert code == CloseCode.MESSAGE_TOO_BIG


async def test_default_cap_is_one_mebibyte(served: Served) -> None:
    async with served.connect(max_size=None, compression=None) as ws:
        await ws.send('{"action": "ping", "payload": "' + "x" * (1024 * 1024) + '"}')
        code, _ = await closed_with(ws)
    assert code == CloseCode.MESSAGE_TOO_BIG
    await served.assert_serving()


async def test_compression_is_on_and_a_deflate_bomb_is_capped_after_inflation(
    served: Served,
) -> None:
    bomb = '{"action": "ping", "payload": "' + "a" * (8 * 1024 * 1024) + '"}'
    assert len(zlib.compress(bomb.encode())) < 16 * 1024  # tiny on the wire
    async with served.connect() as ws:
        assert ws.protocol.extensions  # permessage-deflate was negotiated
        await ws.send(bomb)
        code, _ = await closed_with(ws)
    assert code == CloseCode.MESSAGE_TOO_BIG
    bigger = bomb.replace("a" * 1024, "a" * 3 * 1024)  # 24 MiB: past uvicorn's own 16 MiB cap
    async with served.connect() as ws:
        await ws.send(bigger)
        code, _ = await closed_with(ws)
    assert code == CloseCode.MESSAGE_TOO_BIG
    await served.assert_serving()


async def test_ten_thousand_frame_burst_is_served_in_order_without_loss(served: Served) -> None:
    n = 10_000
    async with served.connect() as ws:

        async def reader() -> list[int]:
            seen = []
            while len(seen) < n:
                seen.append(json.loads(await ws.recv())["payload"])
            return seen

        task = asyncio.ensure_future(reader())
        for i in range(n):
            await ws.send(f'{{"action": "ping", "payload": {i}}}')
        async with asyncio.timeout(30):
            assert await task == list(range(n))
    await served.assert_serving()


async def test_burst_while_a_handler_waits_is_slowed_not_closed(served: Served) -> None:
    """Past `max_pending_frames` (4) the server stops reading; every frame is served."""
    async with served.connect("limited") as ws:
        await ws.send('{"action": "hold", "payload": 0.3}')
        for i in range(15):  # well past the backlog, under the rate limit's burst of 20
            await ws.send(f'{{"action": "ping", "payload": {i}}}')
        replies = [await recv_json(ws) for _ in range(16)]
    assert [r["payload"] for r in replies] == ["held", *range(15)]
    await served.assert_serving()


async def test_message_rate_limit_closes_with_4429(served: Served) -> None:
    async with served.connect("limited") as ws:
        for _ in range(40):  # burst 20 at 20/s
            await ws.send('{"action": "ping"}')
        code, reason = await closed_with(ws)
    assert code == CloseCode.RATE_LIMITED
    assert reason == "message rate exceeded"
    await served.assert_serving()


async def test_rate_within_the_limit_is_served(served: Served) -> None:
    async with served.connect("limited") as ws:
        for i in range(15):
            await ws.send(f'{{"action": "ping", "payload": {i}}}')
            assert (await recv_json(ws))["payload"] == i


async def test_unknown_and_private_layer_messages_are_ignored(served: Served) -> None:
    consumer = served.consumers["open"]
    layer = consumer.get_channel_layer()
    async with served.connect() as ws:
        await ws.send('{"action": "ping", "payload": 0}')
        await recv_json(ws)
        for kind in ["_x", ".x", "x", "chanx._x", "disconnect", "websocket.receive"]:
            await layer.group_send("open", {"type": kind, "text": SECRET})
        await layer.group_send("open", {"type": "chanx.event", "event": {"action": "_x"}})
        await layer.group_send("open", {"type": "chanx.event", "event": {"action": SECRET}})
        await consumer.broadcast_event(News(payload="after"), ["open"])
        assert await recv_json(ws) == {"action": "news", "payload": "after"}
    assert not record.private_called
    await served.assert_serving()


async def test_disconnect_in_the_middle_of_a_handler_cancels_it(served: Served) -> None:
    async with served.connect() as ws:
        await ws.send('{"action": "hold", "payload": 30}')
        async with asyncio.timeout(5):
            await record.started.wait()
    async with asyncio.timeout(5):
        await record.cancelled.wait()
    await eventually(lambda: record.disconnects)
    await served.assert_serving()


async def test_exception_in_disconnect_cleanup_is_logged_and_contained(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "chanx"):
        async with served.connect(query="crash") as ws:
            await ws.send('{"action": "ping"}')
            await recv_json(ws)
        await eventually(lambda: any("disconnect raised" in r.getMessage() for r in caplog.records))
    await served.assert_serving()
