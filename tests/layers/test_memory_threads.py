"""The in-memory layer used from another thread's event loop reaches the server's loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from chanx.layers.memory import InMemoryChannelLayer


class Recorder:
    """A listener that takes every message and notes the thread it was offered on."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, Any], int]] = []

    def offer(self, message: dict[str, Any]) -> bool:
        self.got.append((message, threading.get_ident()))
        return True

    def layer_closed(self) -> None:
        pass


async def in_thread(call: Callable[[], Awaitable[Any]]) -> Any:
    """Run `call()` in a plain thread with its own event loop (as async_to_sync there does)."""
    return await asyncio.to_thread(asyncio.run, call())  # type: ignore[arg-type]


async def test_a_send_from_another_thread_is_offered_on_the_listeners_loop() -> None:
    layer = InMemoryChannelLayer()
    recorder = Recorder()
    layer.listen("inbox", recorder)
    await layer.group_add("room", "inbox")
    await in_thread(lambda: layer.send("inbox", {"type": "direct"}))
    await in_thread(lambda: layer.group_send("room", {"type": "broadcast"}))
    here = threading.get_ident()
    assert recorder.got == [({"type": "direct"}, here), ({"type": "broadcast"}, here)]


async def test_a_waiting_receiver_is_woken_by_a_send_from_another_thread() -> None:
    asyncio.get_running_loop().set_debug(True)  # a wake from the wrong thread would raise
    layer = InMemoryChannelLayer()
    receiving = asyncio.ensure_future(layer.receive("inbox"))
    await asyncio.sleep(0)  # the receiver is waiting
    await in_thread(lambda: layer.send("inbox", {"type": "hello"}))
    assert await asyncio.wait_for(receiving, 5) == {"type": "hello"}


async def test_group_changes_from_another_thread_apply_on_the_home_loop() -> None:
    layer = InMemoryChannelLayer()
    recorder = Recorder()
    layer.listen("a", recorder)
    await in_thread(lambda: layer.group_add("room", "a"))
    await layer.group_send("room", {"type": "one"})
    await in_thread(lambda: layer.group_discard("room", "a"))
    await layer.group_send("room", {"type": "two"})
    assert [message for message, _ in recorder.got] == [{"type": "one"}]


async def test_a_layer_whose_loop_ended_is_used_from_the_next_loop() -> None:
    layer = InMemoryChannelLayer()
    await in_thread(lambda: layer.group_add("room", "a"))  # that thread's loop is home, then ends
    recorder = Recorder()
    layer.listen("a", recorder)
    await layer.group_send("room", {"type": "here"})
    assert [message for message, _ in recorder.got] == [{"type": "here"}]
    receiving = asyncio.ensure_future(layer.receive("b"))
    await asyncio.sleep(0)
    await layer.send("b", {"type": "direct"})
    assert await asyncio.wait_for(receiving, 5) == {"type": "direct"}
