"""The hostile-input suite's servers: the same consumers on Starlette and on Django Channels.

Every e2e test gets a real uvicorn on loopback (`LiveServer`) serving one application with
these routes, for the adapter it is parametrised with:

| path | consumer | protections exercised |
|---|---|---|
| `/ws/open` | `Open` | frames, bursts, events, handler errors, disconnects |
| `/ws/token` | `TokenOnly` | token in the query string; missing Origin allowed |
| `/ws/cookie` | `CookieAuth` | cookie authenticator: missing Origin refused |
| `/ws/listed` | `Listed` | allow-list with a subdomain wildcard |
| `/ws/limited` | `Limited` | small frame cap, message rate, pending-frame cap |
| `/ws/slowauth` | `SlowAuth` | authentication timeout |
| `/ws/one` | `OnePerUser` | one connection per user |
| `/ws/feed` | `Feed` | a group fed by the server; slow readers are aborted |
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest
import websockets

from chanx.core.authenticator import AuthenticationFailed, BaseAuthenticator
from chanx.core.close_codes import CloseCode
from chanx.core.decorators import event_handler, ws_handler
from chanx.core.process import state
from chanx.messages.base import BaseMessage
from chanx.testing.server import LiveServer

SECRET = "SECRET-7f3a9c"
"""Put into hostile input; must never come back to a client."""

ADAPTERS = ["starlette", "django"]


class Ping(BaseMessage):
    action: Literal["ping"] = "ping"
    payload: Any = None


class Pong(BaseMessage):
    action: Literal["pong"] = "pong"
    payload: Any = None


class Hold(BaseMessage):
    action: Literal["hold"] = "hold"
    payload: float = 30.0


class Boom(BaseMessage):
    action: Literal["boom"] = "boom"
    payload: str = ""


class Count(BaseMessage):
    action: Literal["count"] = "count"
    payload: int


class News(BaseMessage):
    action: Literal["news"] = "news"
    payload: str


class Record:
    """What the server side saw, for assertions (reset per test)."""

    def __init__(self) -> None:
        self.disconnects: list[int] = []
        self.cancelled = asyncio.Event()
        self.started = asyncio.Event()
        self.private_called = False


record = Record()


class TokenAuth(BaseAuthenticator):
    """Accepts `?token=good-<user>`; `expired-...` is refused with 4401."""

    async def authenticate(self) -> bool:
        token = self.get_query_param("token") or ""
        if token.startswith("expired"):
            raise AuthenticationFailed(CloseCode.UNAUTHENTICATED, "token expired")
        if not token.startswith("good-"):
            return False
        self.user = token.removeprefix("good-")
        return True


class CookieSession(BaseAuthenticator):
    """A session-cookie authenticator: the kind cross-site WebSocket hijacking abuses."""

    uses_cookies = True

    async def authenticate(self) -> bool:
        self.user = self.cookies.get("session")
        return self.user is not None


class StallingAuth(BaseAuthenticator):
    async def authenticate(self) -> bool:
        await asyncio.sleep(30)
        return True


def build(base: type[Any]) -> dict[str, type[Any]]:
    """The suite's consumers on adapter base class `base`, by route name."""

    class Open(base):  # type: ignore[misc,valid-type]
        groups: ClassVar[list[str]] = ["open"]

        @ws_handler
        async def handle_ping(self, message: Ping) -> Pong:
            return Pong(payload=message.payload)

        @ws_handler
        async def handle_count(self, message: Count) -> Pong:
            return Pong(payload=message.payload.bit_length())

        @ws_handler
        async def handle_hold(self, message: Hold) -> Pong:
            record.started.set()
            try:
                await asyncio.sleep(message.payload)
            except asyncio.CancelledError:
                record.cancelled.set()
                raise
            return Pong(payload="held")

        @ws_handler
        async def handle_boom(self, message: Boom) -> None:
            raise RuntimeError(f"database password is {SECRET}: {message.payload}")

        @event_handler
        async def on_news(self, event: News) -> News:
            return event

        async def _x(self, message: Any) -> None:  # must never be reachable from the layer
            record.private_called = True

        async def disconnect(self, code: int) -> None:
            record.disconnects.append(code)
            if self.scope.get("query_string") == b"crash":
                raise RuntimeError(f"cleanup failed: {SECRET}")

    class TokenOnly(Open):
        authenticator_class = TokenAuth

    class CookieAuth(Open):
        authenticator_class = CookieSession

    class Listed(Open):
        allowed_origins = ("https://app.example.com", "https://*.example.org")

    class Limited(Open):
        max_frame_bytes = 1000
        rate_limit = 20.0
        rate_burst = 20
        max_pending_frames = 4

    class SlowAuth(Open):
        authenticator_class = StallingAuth
        auth_timeout = 0.3

    class OnePerUser(Open):
        authenticator_class = TokenAuth
        max_connections_per_user = 1

    class Feed(Open):
        groups: ClassVar[list[str]] = ["feed"]
        send_timeout = 0.5

    return {
        "open": Open,
        "token": TokenOnly,
        "cookie": CookieAuth,
        "listed": Listed,
        "limited": Limited,
        "slowauth": SlowAuth,
        "one": OnePerUser,
        "feed": Feed,
    }


_apps: dict[str, tuple[Any, dict[str, type[Any]]]] = {}


def _starlette_app() -> tuple[Any, dict[str, type[Any]]]:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer

    consumers = build(AsyncJsonWebsocketConsumer)
    routes = [WebSocketRoute(f"/ws/{name}", c.as_asgi()) for name, c in consumers.items()]
    return Starlette(routes=routes), consumers


def _setup_django() -> None:
    from chanx.testing.django import setup_django

    example = Path(__file__).resolve().parents[2] / "examples" / "django_chat"
    os.environ.setdefault("CHAT_DATABASE", str(Path(tempfile.mkdtemp()) / "chat.sqlite3"))
    setup_django("chat_project.settings", path=example)


_setup_django()  # at import: migrate is synchronous


def _django_app() -> tuple[Any, dict[str, type[Any]]]:
    from channels.routing import URLRouter

    from chanx.channels.routing import path
    from chanx.channels.websocket import AsyncJsonWebsocketConsumer

    consumers = build(AsyncJsonWebsocketConsumer)
    routes = [path(f"ws/{name}", c.as_asgi()) for name, c in consumers.items()]
    return URLRouter(routes), consumers


def app_for(adapter: str) -> tuple[Any, dict[str, type[Any]]]:
    """The application and its consumers for `adapter` (built once per process)."""
    if adapter not in _apps:
        _apps[adapter] = _starlette_app() if adapter == "starlette" else _django_app()
    return _apps[adapter]


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    global record
    state.reset()
    record.__init__()  # type: ignore[misc]
    yield
    state.reset()


class Served:
    """A running server plus helpers the tests share."""

    def __init__(self, server: LiveServer, adapter: str, consumers: dict[str, type[Any]]) -> None:
        self.server = server
        self.adapter = adapter
        self.consumers = consumers

    def url(self, route: str, query: str = "") -> str:
        return self.server.ws_url(f"/ws/{route}" + (f"?{query}" if query else ""))

    def connect(self, route: str = "open", query: str = "", **kw: Any) -> Any:
        kw.setdefault("open_timeout", 5)
        kw.setdefault("close_timeout", 2)
        return websockets.connect(self.url(route, query), **kw)

    async def assert_serving(self) -> None:
        """A second, well-behaved connection is accepted and answered."""
        async with self.connect() as ws:
            await ws.send('{"action": "ping", "payload": "again"}')
            async with asyncio.timeout(5):
                assert json.loads(await ws.recv()) == {"action": "pong", "payload": "again"}


@pytest.fixture(params=ADAPTERS)
async def served(request: pytest.FixtureRequest) -> AsyncIterator[Served]:
    app, consumers = app_for(request.param)
    async with LiveServer(app) as server:
        yield Served(server, request.param, consumers)


@pytest.fixture
async def starlette_served() -> AsyncIterator[Served]:
    app, consumers = app_for("starlette")
    async with LiveServer(app) as server:
        yield Served(server, "starlette", consumers)


async def recv_json(ws: Any, timeout: float = 5) -> Any:
    async with asyncio.timeout(timeout):
        frame = await ws.recv()
    assert SECRET not in (frame if isinstance(frame, str) else frame.decode("latin-1"))
    return json.loads(frame)


async def closed_with(ws: Any, timeout: float = 5) -> tuple[int | None, str]:
    """Wait until the server closes `ws`; its close code and reason (received frames skipped)."""
    async with asyncio.timeout(timeout):
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                frame = await ws.recv()
                text = frame if isinstance(frame, str) else frame.decode("latin-1")
                assert SECRET not in text
    rcvd = ws.protocol.close_rcvd
    return (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")


async def eventually(predicate: Any, timeout: float = 5, step: float = 0.02) -> None:
    """Poll `predicate` until true (for server-side effects no event signals)."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - the state lives in the server under test
            await asyncio.sleep(step)
