"""`WebsocketCommunicator`: drive an ASGI WebSocket app in-process from a test.

No server and no socket: the communicator calls the ASGI application directly (the Starlette
or FastAPI app, so routing and path parameters apply) and exchanges ASGI messages with it.
Receive helpers wait for chanx's completion signals instead of sleeping, so consumers under
test should set `send_completion = True` (or mount with `as_asgi(send_completion=True)`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from chanx.messages.base import BaseMessage
from chanx.testing.topics import TopicClientMixin

__all__ = ["WebsocketCommunicator"]

ASGIApp = Callable[..., Awaitable[None]]
COMPLETION_ACTIONS = frozenset({"complete", "event_complete", "group_complete"})


class WebsocketCommunicator(TopicClientMixin):
    """A fake WebSocket client for one connection to `app` at `path`.

    Args:
        app: The ASGI application (e.g. the Starlette or FastAPI app).
        path: Request path, optionally with a query string (`/ws/room/1?token=abc`).
        headers: Handshake headers as (name, value) pairs.
        subprotocols: Subprotocols the client offers.
        timeout: Default seconds each receive waits before failing the test.
        discriminator_field: The field that names a frame's action.
        loads: Decodes a received frame (text or bytes); JSON by default. Pass
            `msgpack.unpackb` to talk to a MessagePack consumer.
        dumps: Encodes what `send_message` sends; a `bytes` result goes as a binary frame.
            JSON text by default.
    """

    def __init__(
        self,
        app: ASGIApp,
        path: str,
        *,
        headers: Iterable[tuple[str, str]] = (),
        subprotocols: Iterable[str] = (),
        timeout: float = 2.0,
        discriminator_field: str = "action",
        loads: Callable[[str | bytes], Any] = json.loads,
        dumps: Callable[[Any], str | bytes] = json.dumps,
    ) -> None:
        parts = urlsplit(path)
        self.app = app
        self.timeout = timeout
        self.field = discriminator_field
        self.loads = loads
        self.dumps = dumps
        self.scope: MutableMapping[str, Any] = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "root_path": "",
            "query_string": parts.query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers],
            "subprotocols": list(subprotocols),
            "client": ("127.0.0.1", 50000),
            "server": ("testserver", 80),
            "state": {},
        }
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.close_code: int | None = None
        self.accepted_subprotocol: str | None = None

    async def __aenter__(self) -> WebsocketCommunicator:
        accepted, code = await self.connect()
        if not accepted:
            raise AssertionError(f"the consumer refused the connection (close code {code})")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.disconnect()

    async def connect(self, timeout: float | None = None) -> tuple[bool, int | None]:
        """Open the connection. Returns (accepted, close code if refused before accept)."""
        self._task = asyncio.ensure_future(
            self.app(self.scope, self._to_app.get, self._from_app.put)
        )
        await self._to_app.put({"type": "websocket.connect"})
        message = await self._next(timeout)
        if message["type"] == "websocket.accept":
            self.accepted_subprotocol = message.get("subprotocol")
            return True, None
        if message["type"] == "websocket.close":
            self._closed(message)
            return False, self.close_code
        raise AssertionError(
            f"expected websocket.accept or websocket.close, got {message['type']!r}"
        )

    async def send_message(self, message: BaseMessage | dict[str, Any]) -> None:
        """Send a message (a model, dumped by alias, or a plain dict) encoded with `dumps`."""
        if isinstance(message, BaseMessage) and self.dumps is json.dumps:
            await self.send_text(message.model_dump_json(by_alias=True))
            return
        if isinstance(message, BaseMessage):
            message = message.model_dump(mode="json", by_alias=True)
        frame = self.dumps(message)
        if isinstance(frame, bytes):
            await self.send_bytes(frame)
        else:
            await self.send_text(frame)

    async def send_text(self, text: str) -> None:
        """Send a raw text frame."""
        await self._to_app.put({"type": "websocket.receive", "text": text})

    async def send_bytes(self, data: bytes) -> None:
        """Send a raw binary frame."""
        await self._to_app.put({"type": "websocket.receive", "bytes": data})

    async def receive_json(self, timeout: float | None = None) -> dict[str, Any]:
        """The next frame, decoded with `loads`. Fails if the socket closes or nothing comes."""
        data: Any = self.loads(await self.receive_frame(timeout))
        return data  # type: ignore[no-any-return]

    async def receive_frame(self, timeout: float | None = None) -> str | bytes:
        """The next frame as sent: `str` for a text frame, `bytes` for a binary one."""
        message = await self._next(timeout)
        if message["type"] == "websocket.close":
            self._closed(message)
            raise AssertionError(f"the connection closed with code {self.close_code}")
        if message["type"] != "websocket.send":
            raise AssertionError(f"unexpected ASGI message {message['type']!r}")
        text = message.get("text")
        return text if text is not None else bytes(message["bytes"])

    async def receive_all_messages(
        self, stop_action: str | Iterable[str] = "complete", timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Frames up to the completion signal `stop_action` (which is not included).

        Client frames and layer messages are served concurrently, so a frame caused by a
        broadcast may arrive before or after the sender's `complete`. Pass several actions
        (`("complete", "group_complete")`) to wait until each has been seen; repeat an action
        to wait for it that many times (`("complete", "group_complete", "group_complete")`
        after a frame that causes two broadcasts). Those completion frames are left out.
        """
        pending = Counter([stop_action] if isinstance(stop_action, str) else stop_action)
        frames: list[dict[str, Any]] = []
        while pending:
            try:
                frame = await self.receive_json(timeout)
            except TimeoutError:
                raise AssertionError(
                    f"no {sorted(pending)!r} frame arrived (got {frames!r}); does the consumer "
                    f"set send_completion = True?"
                ) from None
            action = self._action_of(frame)
            if pending[action] > 0:
                pending[action] -= 1
                pending += Counter()  # drop the zero counts
            else:
                frames.append(frame)
        return frames

    async def receive_until(
        self, action: str, timeout: float | None = None
    ) -> list[dict[str, Any]]:
        """Frames up to and including the first whose action is `action`."""
        frames: list[dict[str, Any]] = []
        while True:
            frame = await self.receive_json(timeout)
            frames.append(frame)
            if self._action_of(frame) == action:
                return frames

    async def receive_nothing(self, timeout: float = 0.05) -> bool:
        """True when no frame arrives within `timeout` seconds (a short, bounded wait)."""
        if not self._from_app.empty():
            return False
        await asyncio.sleep(timeout)
        return self._from_app.empty()

    async def assert_closed(self, code: int | None = None, timeout: float | None = None) -> int:
        """Wait until the consumer closes the socket, skipping frames sent before; check `code`."""
        while self.close_code is None:
            message = await self._next(timeout)
            if message["type"] == "websocket.close":
                self._closed(message)
        if code is not None and self.close_code != code:
            raise AssertionError(f"expected close code {code}, got {self.close_code}")
        return self.close_code

    async def disconnect(self, code: int = 1000, timeout: float | None = None) -> None:
        """Close from the client side and wait for the application to finish."""
        if self._task is None:
            return
        await self._to_app.put({"type": "websocket.disconnect", "code": code})
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout or self.timeout)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            raise AssertionError("the application did not finish after the client left") from None
        finally:
            self._task = None

    async def _next(self, timeout: float | None) -> MutableMapping[str, Any]:
        getter = asyncio.ensure_future(self._from_app.get())
        assert self._task is not None, "call connect() first"
        done, _ = await asyncio.wait(
            {getter, self._task},
            timeout=timeout or self.timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task in done:
            self._task.result()  # re-raise the application's exception, if any
            raise AssertionError("the application finished without sending anything more")
        raise TimeoutError(f"nothing received within {timeout or self.timeout} s")

    def _action_of(self, frame: dict[str, Any]) -> Any:
        """A frame's action; chanx's own frames (completion, error) always use `action`."""
        return frame.get(self.field, frame.get("action"))

    def _closed(self, message: MutableMapping[str, Any]) -> None:
        self.close_code = int(message.get("code", 1000))
        self._to_app.put_nowait({"type": "websocket.disconnect", "code": self.close_code})
