"""`LiveServer`: a real uvicorn server on loopback for end-to-end tests.

```python
async with LiveServer(app) as server:
    async with websockets.connect(server.ws_url("/ws")) as ws:
        ...
```

The server runs in the test's own event loop on 127.0.0.1 and a free port, with uvicorn's
`websockets-sansio` WebSocket implementation by default; leaving the block shuts it down.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from types import TracebackType
from typing import Any

from chanx.kernel.install import install_hint

__all__ = ["LiveServer"]


class LiveServer:
    """Serve `app` with uvicorn on loopback for the duration of an `async with` block.

    Args:
        app: The ASGI application.
        host: Loopback address to bind (`127.0.0.1` or `::1`).
        ws: uvicorn's WebSocket implementation.
        startup_timeout: Seconds to wait for the server to accept connections.
        port: Port to bind; 0 (the default) picks a free one. Pass a previous server's
            `port` to restart "the same server" (e.g. to test client reconnects).
        **config: Further `uvicorn.Config` options.
    """

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        ws: str = "websockets-sansio",
        startup_timeout: float = 10.0,
        port: int = 0,
        **config: Any,
    ) -> None:
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("LiveServer binds loopback addresses only")
        self.app = app
        self.host = host
        self.ws = ws
        self.startup_timeout = startup_timeout
        self.config = config
        self.port = port
        self._server: Any = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """`http://host:port` of the running server."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def ws_url(self, path: str) -> str:
        """The `ws://` URL of `path` on the running server."""
        return "ws" + self.base_url.removeprefix("http") + path

    def url(self, path: str) -> str:
        """The `http://` URL of `path` on the running server."""
        return self.base_url + path

    async def __aenter__(self) -> LiveServer:
        try:
            import uvicorn
        except ImportError as exc:  # pragma: no cover - dev dependency
            raise ImportError(f"LiveServer needs uvicorn: {install_hint('testing')}") from exc
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        options: dict[str, Any] = {"log_level": "warning", "access_log": False, "lifespan": "auto"}
        options.update(self.config)
        config = uvicorn.Config(self.app, ws=self.ws, **options)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        async with asyncio.timeout(self.startup_timeout):
            while not self._server.started:
                if self._task.done():
                    self._task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            try:
                async with asyncio.timeout(10):
                    await self._task
            except TimeoutError:
                if self._server is not None:
                    self._server.force_exit = True
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._socket is not None:
            self._socket.close()
