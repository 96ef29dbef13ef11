"""What the application itself costs per frame, without a server: chanx vs raw Starlette.

`django` is the same chanx consumer on Django Channels (`apps/django_ping.py`: Channels'
routers and auth middleware, chanx's in-memory layer in ``CHANNEL_LAYERS``).

Drives each benchmark app (`bench/apps/`) through ASGI directly: a `receive` that hands out
N ping frames and a `send` that counts replies, in one event loop, no sockets. The result is
the application's own CPU per round trip, the part that the round-trip benchmark cannot
separate from uvicorn's. Run: `.venv/bin/python bench/asgi_cost.py [--frames N] [--profile]`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent / "apps"))

from chanx_ping import app as chanx_app
from raw_starlette import app as raw_app


def django_app() -> App:
    """The Django app, imported on demand (it configures Django when imported)."""
    from django_ping import application

    return application  # type: ignore[no-any-return]


App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
SCOPE: dict[str, Any] = {
    "type": "websocket",
    "path": "/ws",
    "raw_path": b"/ws",
    "query_string": b"",
    "headers": [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")],
    "subprotocols": [],
    "root_path": "",
    "scheme": "ws",
    "server": ("127.0.0.1", 80),
    "client": ("127.0.0.1", 1),
    "asgi": {"version": "3.0"},
    "extensions": {},
}


async def per_frame_us(app: App, frames: int, suspend: bool = False) -> float:
    """Microseconds of CPU per ping/pong round trip through `app`.

    With `suspend`, each `receive()` first yields to the event loop once, as a server's does
    when a frame arrives from the network (so each frame costs one loop turn, as in uvicorn).
    """
    messages = iter(
        [{"type": "websocket.connect"}]
        + [{"type": "websocket.receive", "text": '{"action":"ping"}'}] * frames
    )
    finished = asyncio.Event()
    sent = 0

    async def receive() -> dict[str, Any]:
        if suspend:
            await asyncio.sleep(0)
        try:
            return next(messages)
        except StopIteration:
            await finished.wait()
            return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        nonlocal sent
        sent += 1
        if sent == frames + 1:  # the accept and one reply per frame
            finished.set()

    start = time.process_time()
    await app(dict(SCOPE), receive, send)
    return (time.process_time() - start) / frames * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="profile chanx's frames")
    parser.add_argument("--only", choices=("chanx", "raw", "django"), help="measure one app only")
    parser.add_argument("--profile-app", choices=("chanx", "django"), default="chanx")
    parser.add_argument(
        "--suspend", action="store_true", help="each receive() yields once, as a server's does"
    )
    args = parser.parse_args()
    print("| app | CPU µs per frame (best of rounds) |\n|---|---:|")
    apps = [("chanx", chanx_app), ("raw Starlette", raw_app)]
    if args.only in (None, "django") or args.profile_app == "django":
        apps.append(("django", django_app()))
    for name, app in [a for a in apps if args.only is None or a[0].startswith(args.only)]:
        asyncio.run(per_frame_us(app, 2_000, args.suspend))  # warm up
        best = min(
            asyncio.run(per_frame_us(app, args.frames, args.suspend)) for _ in range(args.rounds)
        )
        print(f"| {name} | {best:.2f} |")
    if args.profile:
        profile = cProfile.Profile()
        profiled = dict(apps)[args.profile_app]
        profile.runcall(asyncio.run, per_frame_us(profiled, args.frames, args.suspend))
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
