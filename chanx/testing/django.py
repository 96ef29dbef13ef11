"""Test helpers for chanx consumers on Django Channels.

- `WebsocketCommunicator`: Channels' communicator with chanx's receive helpers (waiting on
  completion signals), logging in a user through a session cookie or a token header.
- `ChanxWebsocketTestCase`: a ``TransactionTestCase`` base that opens communicators and
  closes them after each test.
- `setup_django`: configure Django once for a test session run without pytest-django.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.test import TransactionTestCase

from chanx.messages.base import BaseMessage
from chanx.testing._channels import ChannelsCommunicator as _ChannelsCommunicator
from chanx.testing.topics import TopicClientMixin

__all__ = [
    "ChanxWebsocketTestCase",
    "WebsocketCommunicator",
    "session_cookie",
    "setup_django",
    "token_header",
]

Header = tuple[bytes, bytes]


def setup_django(
    settings_module: str, *, path: str | Path | None = None, migrate: bool = True
) -> None:
    """Point ``DJANGO_SETTINGS_MODULE`` at `settings_module`, set Django up and migrate.

    Does nothing when Django's settings are already configured (call it from several
    conftests safely).

    Args:
        settings_module: Dotted path of the settings module.
        path: Directory to put on ``sys.path`` first (the project's root).
        migrate: Run ``migrate`` (quietly) after setup.
    """
    from django.conf import settings

    if settings.configured:
        return
    if path is not None and str(path) not in sys.path:
        sys.path.insert(0, str(path))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def session_cookie(user: Any) -> Header:
    """A ``cookie`` header logging `user` in through a new session (sync; touches the DB)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return b"cookie", f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


def token_header(token: str, keyword: str = "Token") -> Header:
    """An ``authorization`` header (DRF's ``TokenAuthentication`` format by default)."""
    return b"authorization", f"{keyword} {token}".encode()


class WebsocketCommunicator(TopicClientMixin, _ChannelsCommunicator):  # type: ignore[misc]
    """Channels' `WebsocketCommunicator` plus chanx's helpers.

    Args:
        application: The ASGI application (a consumer's ``as_asgi()``, a ``URLRouter``, or
            the project's ``ProtocolTypeRouter``).
        path: Request path, optionally with a query string.
        headers: Handshake headers as (name, value) pairs, bytes or str. Without a ``host``
            header, ``host: testserver`` and ``origin: http://testserver`` are added, as a
            browser on the same site would send them.
        subprotocols: Subprotocols the client offers.
        user: Log this user in with a session cookie when connecting (needs sessions).
        timeout: Default seconds each receive waits.
        discriminator_field: The field that names a frame's action.
    """

    def __init__(
        self,
        application: Any,
        path: str,
        headers: Iterable[tuple[bytes | str, bytes | str]] | None = None,
        subprotocols: Sequence[str] | None = None,
        *,
        user: Any = None,
        timeout: float = 2.0,
        discriminator_field: str = "action",
    ) -> None:
        encoded = [(_b(k).lower(), _b(v)) for k, v in headers or ()]
        names = {name for name, _ in encoded}
        if b"host" not in names:  # a browser's same-origin handshake unless told otherwise
            encoded.append((b"host", b"testserver"))
            if b"origin" not in names:
                encoded.append((b"origin", b"http://testserver"))
        super().__init__(application, path, headers=encoded, subprotocols=list(subprotocols or []))
        self.scope.setdefault("client", ("127.0.0.1", 50000))
        self.scope.setdefault("server", ("testserver", 80))
        self.user = user
        self.timeout = timeout
        self.field = discriminator_field
        self.close_code: int | None = None
        self._connected = False

    async def __aenter__(self) -> WebsocketCommunicator:
        accepted, code = await self.connect()
        if not accepted:
            raise AssertionError(f"the consumer refused the connection (close code {code})")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.disconnect()

    async def connect(self, timeout: float | None = None) -> tuple[bool, Any]:
        """Open the connection (logging `user` in first). Returns (accepted, detail)."""
        if self.user is not None:
            from channels.db import database_sync_to_async

            cookie = await database_sync_to_async(session_cookie)(self.user)
            self.scope["headers"] = [*(self.scope.get("headers") or ()), cookie]
        self._connected = True
        accepted, detail = await super().connect(timeout or self.timeout)
        if not accepted:
            self.close_code = detail if isinstance(detail, int) else None
        return accepted, detail

    async def send_message(self, message: BaseMessage | dict[str, Any]) -> None:
        """Send a message (a model, dumped as JSON by alias, or a plain dict)."""
        if isinstance(message, BaseMessage):
            await self.send_text(message.model_dump_json(by_alias=True))
        else:
            await self.send_text(json.dumps(message))

    async def send_text(self, text: str) -> None:
        """Send a raw text frame (empty strings included)."""
        await self.send_input({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        """Send a raw binary frame."""
        await self.send_input({"type": "websocket.receive", "bytes": data})

    async def receive_json(self, timeout: float | None = None) -> dict[str, Any]:
        """The next frame, decoded. Fails if the socket closes or nothing comes in time."""
        message = await self.receive_output(timeout or self.timeout)
        if message["type"] == "websocket.close":
            self.close_code = int(message.get("code") or 1000)
            raise AssertionError(f"the connection closed with code {self.close_code}")
        text = message.get("text")
        data: Any = json.loads(text if text is not None else message["bytes"])
        return data  # type: ignore[no-any-return]

    async def receive_all_messages(
        self, stop_action: str | Iterable[str] = "complete", timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Frames up to the completion signal(s) `stop_action`, which are left out.

        Repeat an action to wait for it that many times (as chanx's own communicator).
        """
        pending = Counter([stop_action] if isinstance(stop_action, str) else stop_action)
        frames: list[dict[str, Any]] = []
        while +pending:
            frame = await self.receive_json(timeout)
            action = self._action_of(frame)
            if pending[action] > 0:
                pending[action] -= 1
            else:
                frames.append(frame)
        return frames

    async def receive_until(
        self, action: str, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Frames up to and including the first whose action is `action`."""
        frames: list[dict[str, Any]] = []
        while not frames or self._action_of(frames[-1]) != action:
            frames.append(await self.receive_json(timeout))
        return frames

    def _action_of(self, frame: dict[str, Any]) -> Any:
        """A frame's action; chanx's own frames (completion, error) always use `action`."""
        return frame.get(self.field, frame.get("action"))

    async def assert_closed(self, code: int | None = None, timeout: float | None = None) -> int:
        """Wait until the consumer closes the socket, skipping frames sent before; check `code`."""
        while self.close_code is None:
            message = await self.receive_output(timeout or self.timeout)
            if message["type"] == "websocket.close":
                self.close_code = int(message.get("code") or 1000)
        if code is not None and self.close_code != code:
            raise AssertionError(f"expected close code {code}, got {self.close_code}")
        return self.close_code

    async def disconnect(self, code: int = 1000, timeout: float | None = None) -> None:
        """Close from the client side and wait for the application to finish."""
        if not self._connected:
            return
        self._connected = False
        await super().disconnect(code, timeout or self.timeout)


class ChanxWebsocketTestCase(TransactionTestCase):  # type: ignore[misc]
    """Base for Django tests of chanx consumers; communicators are closed after each test.

    Set `application` (an ASGI app: a consumer's ``as_asgi()``, a router, or the project's
    application) and optionally `ws_path`; async test methods then open
    ``async with self.communicator(user=alice) as ws: ...``.
    """

    application: Any = None
    ws_path: str = "/"

    def setUp(self) -> None:
        """Start each test with no open communicator."""
        super().setUp()
        self._communicators: list[WebsocketCommunicator] = []

    def communicator(
        self,
        path: str | None = None,
        *,
        user: Any = None,
        token: str | None = None,
        headers: Iterable[tuple[bytes | str, bytes | str]] = (),
        application: Any = None,
    ) -> WebsocketCommunicator:
        """A communicator for `path` (default `ws_path`), logged in by session or token."""
        extra = list(headers)
        if token is not None:
            extra.append(token_header(token))
        client = WebsocketCommunicator(
            application or self.application, path or self.ws_path, headers=extra, user=user
        )
        self._communicators.append(client)
        return client

    def tearDown(self) -> None:
        """Stop every communicator the test left open (prefer ``async with`` in the test)."""
        for client in self._communicators:
            with contextlib.suppress(RuntimeError):  # its event loop has already closed
                client.stop(exceptions=False)
        super().tearDown()


def _b(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode("latin-1")
