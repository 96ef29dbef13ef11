"""`LayerInbox`: a connection's layer messages served in order, with no task parked in receive()."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from chanx.core.inbox import LayerInbox
from chanx.layers import InMemoryChannelLayer


def msg(n: int, kind: str = "relay") -> dict[str, Any]:
    return {"type": kind, "n": n}


class Consumer:
    """`serve` and `quick` for the inbox: quick forwards "relay" messages, blocks on a gate."""

    def __init__(self) -> None:
        self.served: list[int] = []
        self.quick_served: list[int] = []
        self.handler_gate: asyncio.Event | None = None
        self.send_gate: asyncio.Event | None = None
        self.fail_on: int | None = None
        self.fail_later: int | None = None

    async def serve(self, message: dict[str, Any]) -> None:
        if message["n"] == self.fail_on:
            raise RuntimeError("handler bug")
        if self.handler_gate is not None:
            await self.handler_gate.wait()
        self.served.append(message["n"])

    def quick(self, message: dict[str, Any]) -> bool | asyncio.Task[None]:
        if message["type"] != "relay":
            return False
        if message["n"] == self.fail_on:
            raise RuntimeError("server send bug")
        if self.send_gate is None:
            self.quick_served.append(message["n"])
            return True
        gate = self.send_gate

        async def finish() -> None:
            await gate.wait()
            if message["n"] == self.fail_later:
                raise RuntimeError("server send bug after a wait")
            self.quick_served.append(message["n"])

        return asyncio.get_running_loop().create_task(finish())


async def inbox_for(consumer: Consumer, quick: bool = True) -> tuple[Any, str, LayerInbox]:
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.group_add("room", channel)
    inbox = LayerInbox(layer, channel, consumer.serve, consumer.quick if quick else None, "C")
    inbox.open()
    return layer, channel, inbox


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_a_forwardable_relay_is_served_within_the_senders_call() -> None:
    consumer = Consumer()
    layer, _, inbox = await inbox_for(consumer)
    await layer.group_send("room", msg(1))
    assert consumer.quick_served == [1]
    await inbox.close()


async def test_events_run_in_a_task_and_later_relays_wait_behind_them_in_order() -> None:
    consumer = Consumer()
    consumer.handler_gate = asyncio.Event()
    layer, _, inbox = await inbox_for(consumer)
    await layer.group_send("room", msg(1, "event"))  # its handler awaits
    for n in range(2, 5):
        await layer.group_send("room", msg(n))
    await settle()
    assert consumer.served == []
    assert consumer.quick_served == []
    consumer.handler_gate.set()
    await settle()
    assert consumer.served == [1, 2, 3, 4]  # queued relays take the full path, in order
    await layer.group_send("room", msg(5))  # idle again: forwarded within the call
    assert consumer.quick_served == [5]
    await inbox.close()


async def test_a_suspended_send_holds_back_later_messages_until_it_completes() -> None:
    consumer = Consumer()
    consumer.send_gate = asyncio.Event()
    gate = consumer.send_gate
    layer, _, inbox = await inbox_for(consumer)
    await layer.group_send("room", msg(1))
    await layer.group_send("room", msg(2))
    await settle()
    assert consumer.quick_served == []
    assert consumer.served == []
    consumer.send_gate = None  # the next sends complete at once
    gate.set()
    await settle()
    assert consumer.quick_served == [1, 2]  # the queued one, within the send's callback
    assert consumer.served == []
    await inbox.close()


async def test_without_quick_every_message_takes_the_full_path() -> None:
    consumer = Consumer()
    layer, _, inbox = await inbox_for(consumer, quick=False)
    await layer.group_send("room", msg(1))
    await settle()
    assert consumer.served == [1]
    assert consumer.quick_served == []
    await inbox.close()


async def test_messages_queued_before_the_inbox_opened_are_served_first() -> None:
    consumer = Consumer()
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    await layer.send(channel, msg(1))
    await layer.send(channel, msg(2, "event"))
    await layer.send(channel, msg(3))
    inbox = LayerInbox(layer, channel, consumer.serve, consumer.quick, "C")
    inbox.open()
    assert consumer.quick_served == [1]  # within open(), then the event needs a task
    await layer.send(channel, msg(4))
    await settle()
    assert consumer.served == [2, 3, 4]
    await inbox.close()


async def test_a_failing_handler_is_logged_and_the_next_message_still_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = Consumer()
    consumer.fail_on = 1
    layer, _, inbox = await inbox_for(consumer)
    with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
        await layer.group_send("room", msg(1, "event"))
        await layer.group_send("room", msg(2, "event"))
        await settle()
    assert consumer.served == [2]
    assert "serving a channel-layer message failed" in caplog.text
    await inbox.close()


async def test_close_cancels_the_message_in_progress_and_stops_listening() -> None:
    consumer = Consumer()
    consumer.handler_gate = asyncio.Event()
    layer, channel, inbox = await inbox_for(consumer)
    await layer.group_send("room", msg(1, "event"))
    await settle()
    await inbox.close()
    consumer.handler_gate.set()
    await settle()
    assert consumer.served == []
    await layer.group_send("room", msg(2))
    assert consumer.quick_served == []
    assert layer.receive_nowait(channel) == msg(2)  # queued for nobody, as for any channel


async def test_a_closed_layer_stops_events_with_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = Consumer()
    consumer.handler_gate = asyncio.Event()
    layer, _, inbox = await inbox_for(consumer)
    await layer.group_send("room", msg(1, "event"))
    await layer.group_send("room", msg(2, "event"))  # queued behind the first
    with caplog.at_level(logging.INFO, logger="chanx.consumer"):
        await layer.close()
        consumer.handler_gate.set()
        await settle()
    assert consumer.served == [1]
    assert caplog.text.count("channel layer closed; events stop") == 1
    await inbox.close()  # after the layer closed: no error


async def test_opening_on_a_closed_layer_serves_nothing(caplog: pytest.LogCaptureFixture) -> None:
    consumer = Consumer()
    layer = InMemoryChannelLayer()
    channel = await layer.new_channel()
    inbox = LayerInbox(layer, channel, consumer.serve, consumer.quick, "C")
    await layer.close()
    with caplog.at_level(logging.INFO, logger="chanx.consumer"):
        assert inbox.open() is True  # handled: no receiving task is needed either
    assert "channel layer closed; events stop" in caplog.text
    await inbox.close()


class ReceiveOnly(InMemoryChannelLayer):
    """A layer that serves some channels to `receive()` only (the Redis layer: list channels)."""

    def listen(self, channel: str, listener: Any) -> bool:
        return False


async def test_a_layer_that_declines_the_channel_leaves_it_to_receive() -> None:
    consumer = Consumer()
    layer = ReceiveOnly()
    channel = await layer.new_channel()
    inbox = LayerInbox(layer, channel, consumer.serve, consumer.quick, "C")
    assert inbox.open() is False
    await layer.send(channel, msg(1))
    assert consumer.quick_served == consumer.served == []  # the inbox takes nothing
    assert (await layer.receive(channel))["n"] == 1
    await inbox.close()


async def test_a_failing_quick_send_is_logged_and_the_inbox_stays_usable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = Consumer()
    consumer.fail_on = 1
    layer, channel, inbox = await inbox_for(consumer)
    with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
        await layer.group_send("room", msg(1))
    assert "serving a channel-layer message failed" in caplog.text
    await layer.group_send("room", msg(2))
    assert consumer.quick_served == [2]
    assert layer.receive_nowait(channel) is None
    await inbox.close()


async def test_a_suspended_send_that_fails_is_logged_and_the_queue_still_served(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = Consumer()
    consumer.send_gate = asyncio.Event()
    consumer.fail_later = 1
    layer, _, inbox = await inbox_for(consumer)
    with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
        await layer.group_send("room", msg(1))
        await layer.group_send("room", msg(2))
        consumer.send_gate.set()
        await settle()
    assert "serving a channel-layer message failed" in caplog.text
    assert consumer.quick_served == [2]
    await inbox.close()


async def test_a_failed_suspended_send_is_logged_with_its_consumer_and_exception(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = Consumer()
    consumer.send_gate = asyncio.Event()
    consumer.fail_later = 1
    layer, _, inbox = await inbox_for(consumer)
    with caplog.at_level(logging.ERROR, logger="chanx.consumer"):
        await layer.group_send("room", msg(1))
        consumer.send_gate.set()
        await settle()
    (record,) = caplog.records
    assert record.getMessage() == "C: serving a channel-layer message failed"
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError
    assert str(record.exc_info[1]) == "server send bug after a wait"
    assert record.exc_info[2] is not None
    await inbox.close()


async def test_the_layer_closing_is_logged_once_with_the_consumers_name(
    caplog: pytest.LogCaptureFixture,
) -> None:
    consumer = Consumer()
    layer, _, inbox = await inbox_for(consumer)
    with caplog.at_level(logging.INFO, logger="chanx.consumer"):
        await layer.close()
        inbox.layer_closed()
    assert [r.getMessage() for r in caplog.records] == [
        "C: channel layer closed; events stop for this connection"
    ]
    await inbox.close()
