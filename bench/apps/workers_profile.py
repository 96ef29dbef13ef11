"""``BENCH_PROFILE=DIR``: profile this server process with cProfile into ``DIR/<pid>.prof``."""

from __future__ import annotations

import atexit
import cProfile
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

_profile = cProfile.Profile()


def start() -> None:
    """Profile from now until the process exits, if ``BENCH_PROFILE`` names a directory."""
    if os.environ.get("BENCH_PROFILE"):
        _profile.enable()
        atexit.register(dump)


def dump() -> None:
    """Write the profile (once; a uvicorn worker's lifespan calls it, atexit elsewhere)."""
    where = os.environ.get("BENCH_PROFILE")
    path = Path(where or ".") / f"{os.getpid()}.prof"
    if where and not path.exists():
        _profile.disable()
        _profile.dump_stats(path)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """A lifespan that writes the profile at shutdown (uvicorn's workers skip atexit)."""
    yield
    dump()
