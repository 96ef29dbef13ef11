"""`chanx.core.sync.run_sync`: the sync twins run in the caller's context, on either loop."""

from __future__ import annotations

import asyncio
import contextvars

from chanx.core import sync
from chanx.core.process import state

caller_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("caller_var", default=None)


async def read_var() -> str | None:
    return caller_var.get()


def from_a_view(value: str) -> str | None:
    caller_var.set(value)
    return sync.run_sync(read_var)


async def test_on_the_serving_loop_the_coroutine_sees_the_callers_context_variables() -> None:
    sync.remember_loop()
    try:
        assert await asyncio.to_thread(from_a_view, "view span") == "view span"
        assert caller_var.get() is None  # the caller's value stays the caller's
    finally:
        state.home_loop = None


def test_on_its_own_loop_the_coroutine_sees_the_callers_context_variables() -> None:
    state.home_loop = None
    assert from_a_view("task span") == "task span"
