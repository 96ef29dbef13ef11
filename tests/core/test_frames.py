"""`FrameRunner`: one task per frame, in order, each in its own context, bounded backlog."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from typing import Any

import pytest

from chanx.core.frames import FrameRunner


async def idle(runner: FrameRunner[Any]) -> None:
    """Until the runner has nothing in progress (it has no completion signal of its own)."""
    for _ in range(1000):
        if not runner.busy:
            return
        await asyncio.sleep(0)
    raise AssertionError("the runner did not become idle")


seen: contextvars.ContextVar[str | None] = contextvars.ContextVar("seen", default=None)


async def test_frames_run_in_order_each_in_its_own_task_and_context_even_in_a_burst() -> None:
    done: list[tuple[str, str | None, str]] = []
    gate = asyncio.Event()

    async def serve(frame: str) -> None:
        before = seen.get()
        seen.set(frame)
        if frame == "first":
            await gate.wait()  # the rest queue up and are started by the frame before them
        task = asyncio.current_task()
        done.append((frame, before, task.get_name() if task else ""))

    runner: FrameRunner[str] = FrameRunner(serve, limit=10)
    for frame in ("first", "second", "third"):
        runner.submit(frame)
    await asyncio.sleep(0)
    assert runner.busy
    assert runner.pending == 2
    gate.set()
    await idle(runner)
    assert [(f, b) for f, b, _ in done] == [("first", None), ("second", None), ("third", None)]
    assert len({name for _, _, name in done}) == 3
    assert seen.get() is None  # nothing leaked into the caller's context either


async def test_a_failing_frame_is_logged_and_the_next_one_still_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    served: list[str] = []

    async def serve(frame: str) -> None:
        if frame == "bad":
            raise RuntimeError("boom")
        served.append(frame)

    runner: FrameRunner[str] = FrameRunner(serve, limit=4)
    with caplog.at_level(logging.ERROR, "chanx.consumer"):
        runner.submit("bad")
        runner.submit("good")
        await idle(runner)
    assert served == ["good"]
    (record,) = caplog.records
    assert record.getMessage() == "serving a client frame failed"
    assert record.exc_info is not None


async def test_the_backlog_is_bounded_and_room_wakes_the_reader() -> None:
    gate = asyncio.Event()

    async def serve(frame: int) -> None:
        await gate.wait()

    runner: FrameRunner[int] = FrameRunner(serve, limit=2)
    runner.submit(0)
    await asyncio.sleep(0)
    assert not runner.full
    runner.submit(1)
    runner.submit(2)
    assert runner.full
    waiter = asyncio.ensure_future(runner.wait_for_room())
    await asyncio.sleep(0)
    assert not waiter.done()
    gate.set()
    await asyncio.wait_for(waiter, 1)
    assert not runner.full


async def test_wait_for_room_returns_at_once_when_there_is_room(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def serve(frame: int) -> None:
        await asyncio.sleep(0)

    runner: FrameRunner[int] = FrameRunner(serve, limit=1)
    with caplog.at_level(logging.DEBUG):
        await asyncio.wait_for(runner.wait_for_room(), 1)
        runner.submit(1)
        runner.submit(2)
        await idle(runner)
    assert caplog.records == []  # finishing without a waiting reader is quiet


async def test_cancel_stops_the_running_frame_and_drops_the_backlog() -> None:
    started, cancelled, served = asyncio.Event(), asyncio.Event(), []

    async def serve(frame: int) -> None:
        served.append(frame)
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    runner: FrameRunner[int] = FrameRunner(serve, limit=4)
    runner.submit(1)
    runner.submit(2)
    await started.wait()
    await runner.cancel()
    assert cancelled.is_set()
    assert not runner.busy
    assert runner.pending == 0
    await asyncio.sleep(0)
    assert served == [1]


async def test_finish_lets_the_running_frame_end_within_the_timeout() -> None:
    served: list[int] = []

    async def serve(frame: int) -> None:
        await asyncio.sleep(0.01)
        served.append(frame)

    runner: FrameRunner[int] = FrameRunner(serve, limit=4)
    runner.submit(1)
    runner.submit(2)
    await runner.finish(1.0)
    assert served == [1]  # the backlog was dropped, the running frame finished
    assert not runner.busy

    async def forever(frame: int) -> None:
        await asyncio.Event().wait()

    stuck: FrameRunner[int] = FrameRunner(forever, limit=1)
    stuck.submit(1)
    await asyncio.wait_for(stuck.finish(0.01), 1)  # bounded by its timeout
    assert stuck.busy
    await stuck.cancel()
