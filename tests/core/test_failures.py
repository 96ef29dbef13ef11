"""`chanx.core.failures`: a handler's failure is one ERROR with context and a correlated reply."""

from __future__ import annotations

import logging
from typing import Any, Literal

import pytest

from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage


class Fail(BaseMessage):
    action: Literal["fail"] = "fail"
    payload: Any = None


class FailingBody:
    @ws_handler
    async def handle_fail(self, message: Fail) -> None:
        raise ValueError("broken")


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        ({"ref": "abc"}, {"ref": "abc"}),
        ({"id": 42}, {"id": 42}),
        ({"ref": "r", "id": 1}, {"ref": "r"}),
        ({"ref": True}, {}),
        ({"ref": {"nested": 1}}, {}),
        ({"ref": "x" * 201}, {}),
        ({}, {}),
    ],
    ids=["ref", "id", "ref-first", "bool", "object", "too-long", "none"],
)
async def test_internal_error_echoes_the_clients_correlation_value(
    adapter: Any, sent: dict[str, Any], echoed: dict[str, Any]
) -> None:
    app = adapter.app(("/f", adapter.consumer(FailingBody)))
    async with adapter.client(app, "/f") as client:
        await client.send_message({"action": "fail", **sent})
        reply = await client.receive_json()
    assert reply == {
        "action": "error",
        "payload": {
            "code": "internal_error",
            "message": "The server failed to handle this message.",
            "errors": None,
        },
        **echoed,
    }


async def test_the_error_record_carries_consumer_handler_action_and_connection(
    adapter: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = adapter.app(("/f", adapter.consumer(FailingBody)))
    with caplog.at_level(logging.ERROR, "chanx.consumer"):
        async with adapter.client(app, "/f") as client:
            await client.send_message({"action": "fail"})
            await client.receive_json()
    (record,) = [r for r in caplog.records if r.name == "chanx.consumer"]
    assert record.levelno == logging.ERROR
    assert record.exc_info is not None
    assert record.exc_info[0] is ValueError
    assert record.handler == "handle_fail"  # type: ignore[attr-defined]
    assert record.action == "fail"  # type: ignore[attr-defined]
    assert record.consumer.endswith(".Failing")  # type: ignore[attr-defined]
    connection_id = record.connection_id  # type: ignore[attr-defined]
    assert isinstance(connection_id, int)
    assert record.getMessage() == (
        f"Failing.handle_fail raised (action 'fail', connection {connection_id})"
    )
