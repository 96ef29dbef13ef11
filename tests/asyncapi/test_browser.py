"""The docs page in headless Chromium, against the demo on real uvicorn.

Chromium is driven over the DevTools protocol with the `websockets` client. Every network
request the page makes is recorded (`Network.requestWillBeSent`, `Network.webSocketCreated`)
and must go to the loopback server.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import tempfile
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import websockets
from starlette.applications import Starlette
from starlette.routing import Mount

from chanx.asyncapi.starlette import mount_asyncapi
from chanx.demo.app import app as demo_app
from chanx.testing.server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-port=0",
]


class DevTools:
    """A minimal DevTools-protocol client attached to one page."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            else:
                self.events.append(message)
                self.changed.set()

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self.ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            message["sessionId"] = self.session
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.socket.send(json.dumps(message))
        reply = await asyncio.wait_for(future, 20)
        assert "error" not in reply, (method, reply["error"])
        return reply.get("result", {})

    async def evaluate(self, expression: str) -> Any:
        result = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 15) -> Any:
        """Resolve once `expression` is truthy in the page (checked on every animation frame)."""
        script = (
            "new Promise(resolve => { const check = () => { let value = false;"
            " try { value = (" + expression + "); } catch (error) { value = false; }"
            " if (value) { resolve(value); } else { requestAnimationFrame(check); } }; check(); })"
        )
        async with asyncio.timeout(timeout):
            return await self.evaluate(script)

    async def navigate(self, url: str) -> None:
        """Open `url` and wait for its load event."""
        seen = len(self.events)
        await self.call("Page.navigate", url=url)
        async with asyncio.timeout(20):
            while not any(e.get("method") == "Page.loadEventFired" for e in self.events[seen:]):
                self.changed.clear()
                await self.changed.wait()

    def urls(self) -> list[str]:
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Network.requestWillBeSent":
                found.append(params["request"]["url"])
            elif event.get("method") == "Network.webSocketCreated":
                found.append(params["url"])
        return found


@contextlib.asynccontextmanager
async def chromium(binary: str) -> AsyncIterator[DevTools]:
    """Start headless Chromium and attach to a fresh page."""
    with tempfile.TemporaryDirectory(prefix="chanx-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stderr is not None
            async with asyncio.timeout(30):
                while not (line := (await process.stderr.readline()).decode()).startswith(
                    "DevTools listening on "
                ):
                    assert line, "chromium exited before opening the DevTools endpoint"
            endpoint = line.removeprefix("DevTools listening on ").strip()
            async with (
                asyncio.TaskGroup() as background,
                websockets.connect(endpoint, max_size=None) as ws,
            ):
                drain = background.create_task(process.stderr.read())  # keep the pipe flowing
                tools = DevTools(ws)
                target = await tools.call("Target.createTarget", url="about:blank")
                attached = await tools.call(
                    "Target.attachToTarget", targetId=target["targetId"], flatten=True
                )
                tools.session = attached["sessionId"]
                await tools.call("Network.enable")
                await tools.call("Runtime.enable")
                await tools.call("Page.enable")
                await tools.call("Log.enable")
                try:
                    yield tools
                finally:
                    tools.reader.cancel()
                    drain.cancel()
        finally:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


def docs_app() -> Starlette:
    """The demo, unchanged, with the docs routes mounted in front of it."""
    app = Starlette(routes=[Mount("", app=demo_app)])
    mount_asyncapi(app, title="chanx demo", enabled=True)
    return app


async def test_the_page_renders_and_the_console_exchanges_a_ping(chromium_binary: str) -> None:
    async with LiveServer(docs_app()) as server, chromium(chromium_binary) as page:
        await page.navigate(server.url("/asyncapi"))
        await page.wait_for("document.documentElement.dataset.console === 'ready'")
        assert await page.evaluate("document.title") == "chanx demo 1.0.0"
        assert await page.evaluate("document.querySelectorAll('section.channel').length") == 1
        operations = await page.evaluate(
            "[...document.querySelectorAll('.operation h3')].map(h => h.textContent)"
        )
        assert any(text.startswith("receive ping") for text in operations)
        assert any(text.startswith("send user_joined") for text in operations)
        assert await page.evaluate("document.querySelectorAll('details.node').length") > 5
        assert not await page.evaluate("document.getElementById('console').hidden")

        # Pick the ping operation, fill in the room and the name, connect and send.
        await page.evaluate(
            """(() => {
              const select = document.getElementById('console-operation');
              const ping = [...select.options].find(o => o.textContent.startsWith('ping'));
              select.value = ping.value;
              select.dispatchEvent(new Event('change'));
              const query = document.getElementById('console-query');
              query.value = 'name=alice';
              query.dispatchEvent(new Event('input'));
              return true;
            })()"""
        )
        url = await page.evaluate("document.getElementById('console-url').value")
        assert url == server.ws_url("/ws/chat/lobby?name=alice")
        payload = await page.evaluate(
            "JSON.parse(document.getElementById('console-payload').value)"
        )
        assert payload == {"action": "ping", "payload": None}
        await page.evaluate("document.getElementById('console-connect').click(), true")
        await page.wait_for("document.getElementById('console-status').dataset.state === 'open'")
        joined = "[...document.querySelectorAll('#console-log li.received pre')]"
        await page.wait_for(f"{joined}.some(p => p.textContent.includes('user_joined'))")
        await page.evaluate("document.getElementById('console-send').click(), true")
        await page.wait_for(f"{joined}.some(p => JSON.parse(p.textContent).action === 'pong')")
        sent = await page.evaluate(
            "[...document.querySelectorAll('#console-log li.sent pre')].map(p => p.textContent)"
        )
        assert [json.loads(text) for text in sent] == [{"action": "ping", "payload": None}]
        await page.evaluate("document.getElementById('console-disconnect').click(), true")
        await page.wait_for("document.getElementById('console-status').dataset.state === 'closed'")

        urls = page.urls()
        assert server.url("/asyncapi") in urls
        assert server.ws_url("/ws/chat/lobby?name=alice") in urls
        for url in urls:
            if url.startswith("data:"):
                continue  # the inline favicon: not a request
            assert urlsplit(url).hostname in ("127.0.0.1", "localhost"), url
        violations = [
            e
            for e in page.events
            if e.get("method") in ("Runtime.exceptionThrown", "Log.entryAdded")
            or (
                e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error"
            )
        ]
        assert violations == []


def page_items_app() -> tuple[Starlette, Any]:
    """A push-only channel with a Markdown description, and a camelized twin of a channel."""
    from typing import ClassVar, Literal

    from starlette.routing import WebSocketRoute

    from chanx.core.decorators import channel, ws_handler
    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.messages.base import BaseMessage
    from chanx.messages.incoming import PingMessage
    from chanx.messages.outgoing import PongMessage

    class Headline(BaseMessage):
        action: Literal["headline"] = "headline"
        payload: str

    @channel(
        name="feed",
        description='Headlines as they happen. **Read-only**. <img src=x onerror="window.pwned=1">'
        " See [the guide](https://chanx.example/guide).",
    )
    class FeedConsumer(AsyncJsonWebsocketConsumer):
        groups: ClassVar[list[str]] = ["feed"]
        passthrough_events: ClassVar[list[type[BaseMessage]]] = [Headline]

    @channel(name="chat")
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    @channel(name="chat")
    class CamelChatConsumer(ChatConsumer):
        camelize = True

    app = Starlette(
        routes=[
            WebSocketRoute("/ws/feed", FeedConsumer.as_asgi()),
            WebSocketRoute("/ws/chat", ChatConsumer.as_asgi()),
            WebSocketRoute("/ws/camel-chat", CamelChatConsumer.as_asgi()),
        ]
    )
    mount_asyncapi(app, title="items", enabled=True)
    return app, (FeedConsumer, Headline)


async def test_markdown_twin_titles_and_a_push_only_console(chromium_binary: str) -> None:
    pytest.importorskip("chanx_format_camelize")
    app, (feed, headline) = page_items_app()
    async with LiveServer(app) as server, chromium(chromium_binary) as page:
        await page.navigate(server.url("/asyncapi"))
        await page.wait_for("document.documentElement.dataset.console === 'ready'")
        titles = await page.evaluate("[...document.querySelectorAll('nav li a')].map(a => a.text)")
        assert titles == ["chat", "chat (camelize)", "feed"]
        description = "document.querySelector('#channel-feed p.description')"
        assert await page.evaluate(f"{description}.querySelector('strong').textContent") == (
            "Read-only"
        )
        assert await page.evaluate(f"{description}.querySelector('a').href") == (
            "https://chanx.example/guide"
        )
        shown = await page.evaluate(f"{description}.textContent")
        assert shown.count('<img src=x onerror="window.pwned=1">') == 1  # shown as text
        assert await page.evaluate("document.querySelectorAll('main img').length") == 0
        assert await page.evaluate("window.pwned === undefined")
        content_types = await page.evaluate(
            "[...document.querySelectorAll('.message .content-type code')].map(c => c.textContent)"
        )
        assert set(content_types) == {"application/json"}

        # The push-only channel: no operation to pick, nothing to send; connect and listen.
        await page.evaluate(
            """(() => {
              const select = document.getElementById('console-channel');
              const feed = [...select.options].find(o => o.textContent.startsWith('feed'));
              select.value = feed.value;
              select.dispatchEvent(new Event('change'));
              return true;
            })()"""
        )
        operation = "document.getElementById('console-operation')"
        assert await page.evaluate(f"[...{operation}.options].map(o => o.textContent)") == [
            "this channel only pushes; connect to listen"
        ]
        assert await page.evaluate(f"{operation}.disabled")
        assert await page.evaluate("document.getElementById('console-payload').disabled")
        await page.evaluate("document.getElementById('console-connect').click(), true")
        await page.wait_for("document.getElementById('console-status').dataset.state === 'open'")
        assert await page.evaluate("document.getElementById('console-send').disabled")
        await feed.broadcast_event(headline(payload="news at noon"))
        received = "[...document.querySelectorAll('#console-log li.received pre')]"
        await page.wait_for(
            f"{received}.some(p => JSON.parse(p.textContent).action === 'headline')"
        )
        for url in page.urls():
            assert url.startswith("data:") or urlsplit(url).hostname == "127.0.0.1", url
        errors = [
            e
            for e in page.events
            if e.get("method") in ("Runtime.exceptionThrown", "Log.entryAdded")
            or (
                e.get("method") == "Runtime.consoleAPICalled" and e["params"].get("type") == "error"
            )
        ]
        assert errors == []
