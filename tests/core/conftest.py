"""The `adapter` fixture: runs the runtime's behavioural tests on every adapter.

Each test that takes `adapter` runs once on Starlette and once on Django Channels. Consumers
are written once as mixins (`adapter.consumer(RoomBody)` puts them on the adapter's base
class); routes use Starlette's `{name}` syntax and become Django `<name>` paths.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chanx.testing.django import setup_django

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "django_chat"
os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
setup_django("chat_project.settings", path=EXAMPLE)

Route = tuple[str, type, dict[str, Any]]


class Adapter:
    """How to mount, connect to and drive consumers on one framework."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._classes: dict[tuple[type, ...], type] = {}
        if name == "starlette":
            from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
            from chanx.testing.communicator import WebsocketCommunicator
        else:
            from chanx.channels.websocket import AsyncJsonWebsocketConsumer  # type: ignore[assignment]
            from chanx.testing.django import WebsocketCommunicator  # type: ignore[assignment]
        self.base: Any = AsyncJsonWebsocketConsumer
        self.communicator: Any = WebsocketCommunicator

    def consumer(self, *bodies: type, **attributes: Any) -> Any:
        """The consumer class made of `bodies` (mixins) on this adapter's base class."""
        cached = not attributes  # classes with attributes are one-offs, never reused
        if cached and bodies in self._classes:
            return self._classes[bodies]
        name = bodies[0].__name__.removesuffix("Body")
        cls = type(name, (*bodies, self.base), dict(attributes))
        if cached:
            self._classes[bodies] = cls
        return cls

    def app(self, *routes: tuple[str, type] | Route) -> Any:
        """An ASGI app serving `routes` of (path, consumer[, as_asgi overrides])."""
        entries = [(r[0], r[1], r[2] if len(r) == 3 else {}) for r in routes]  # type: ignore[misc]
        if self.name == "starlette":
            from starlette.applications import Starlette
            from starlette.routing import WebSocketRoute

            return Starlette(routes=[WebSocketRoute(p, c.as_asgi(**kw)) for p, c, kw in entries])
        from channels.routing import URLRouter
        from django.urls import path

        return URLRouter(
            [
                path(re.sub(r"\{(\w+)\}", r"<\1>", p.lstrip("/")), c.as_asgi(**kw))
                for p, c, kw in entries
            ]
        )

    def client(self, app: Any, path: str, **kwargs: Any) -> Any:
        """A communicator for `path` on `app`."""
        return self.communicator(app, path, **kwargs)

    async def in_worker_thread(self, func: Callable[..., Any], *args: Any) -> Any:
        """Call sync `func` from a worker thread, as the framework's sync code would."""
        if self.name == "starlette":
            return await asyncio.to_thread(func, *args)
        from asgiref.sync import sync_to_async

        return await sync_to_async(func)(*args)

    async def close_layers(self) -> None:
        """Close the channel layers the consumers use."""
        if self.name == "starlette":
            from chanx.layers import close_layers

            await close_layers()
        else:
            from channels.layers import channel_layers

            for layer in list(channel_layers.backends.values()):
                await layer.close()


@pytest.fixture(autouse=True)
def _fresh_django_layers() -> Iterator[None]:
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


_ADAPTERS = {name: Adapter(name) for name in ("starlette", "django")}


@pytest.fixture(params=list(_ADAPTERS))
def adapter(request: pytest.FixtureRequest) -> Adapter:
    """The adapter under test (each test runs on both)."""
    return _ADAPTERS[request.param]
