"""Sample consumers covering every row of the guide's AsyncAPI mapping, and the tools that
check documents: the official AsyncAPI parser (Node.js) and headless Chromium.

Set CHANX_REQUIRE_DOCS_TOOLS=1 (CI does) to fail instead of skip when a tool is missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Literal

import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute

from chanx.core.decorators import channel, event_handler, ws_handler
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.kernel import PluginHost, hookimpl
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

NODE_DIR = Path(__file__).parent / "node"
REQUIRED = os.environ.get("CHANX_REQUIRE_DOCS_TOOLS") == "1"


def missing_tool(reason: str) -> None:
    """Skip, or fail when CI requires the documentation tools."""
    if REQUIRED:
        pytest.fail(f"{reason} (CHANX_REQUIRE_DOCS_TOOLS=1)")
    pytest.skip(reason)


# -- messages --------------------------------------------------------------------------------


class ChatBody(BaseModel):
    """What a chat message says."""

    user_name: str
    message_text: str = Field(min_length=1)


class Chat(BaseMessage):
    """A client posts to the room."""

    action: Literal["chat"] = "chat"
    payload: ChatBody


class ChatNotice(BaseMessage):
    """Everyone in the room sees a posted message."""

    action: Literal["chat_notice"] = "chat_notice"
    payload: ChatBody


class Log(BaseMessage):
    action: Literal["log"] = "log"
    payload: str


class Edit(BaseMessage):
    action: Literal["edit"] = "edit"
    payload: str


class Delete(BaseMessage):
    action: Literal["delete"] = "delete"
    payload: int


class Done(BaseMessage):
    action: Literal["done"] = "done"
    payload: None = None


class JobPayload(BaseModel):
    job_id: int
    status_text: str


class JobResult(BaseMessage):
    """A background job finished."""

    action: Literal["job_result"] = "job_result"
    payload: JobPayload


class SystemNotifyEvent(BaseMessage):
    """INTERNAL EVENT: never documented."""

    action: Literal["system_notify"] = "system_notify"
    payload: str


class SystemNotification(BaseMessage):
    action: Literal["system_notification"] = "system_notification"
    payload: str


class QuietEvent(BaseMessage):
    action: Literal["quiet"] = "quiet"
    payload: None = None


class UserJoined(BaseMessage):
    """Someone joined."""

    action: Literal["user_joined"] = "user_joined"
    payload: JobPayload


class Cat(BaseModel):
    kind: Literal["cat"] = "cat"
    meows: int


class Dog(BaseModel):
    kind: Literal["dog"] = "dog"
    barks: bool


class Adopt(BaseMessage):
    """Adopt a pet: `</script><script>alert(1)</script>` <b>not bold</b> & more."""

    action: Literal["adopt"] = "adopt"
    payload: Annotated[Cat | Dog, Field(discriminator="kind")]


# -- the camelize stand-in: a formatter that renames keys but exposes no key mapping ---------


def camel(key: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)


def _transform(data: Any, rename: Any) -> Any:
    if isinstance(data, dict):
        return {rename(k): _transform(v, rename) for k, v in data.items()}
    if isinstance(data, list):
        return [_transform(v, rename) for v in data]
    return data


class TestCamel:
    name = "test-camel"

    def incoming(self, data: dict[str, Any]) -> dict[str, Any]:
        return _transform(data, lambda k: re.sub(r"([A-Z])", lambda m: "_" + m[1].lower(), k))  # type: ignore[no-any-return]

    def outgoing(self, data: dict[str, Any]) -> dict[str, Any]:
        return _transform(data, camel)  # type: ignore[no-any-return]


class CamelPlugin:
    @hookimpl
    def chanx_register_formatters(self, registry: Any) -> None:
        registry.add("test-camel", TestCamel)


# -- consumers -------------------------------------------------------------------------------


def define_consumers() -> SimpleNamespace:
    """Define the sample consumers (after the test formatter is registered)."""

    @channel(name="chat", description="Chat rooms", tags=["chat", "rooms"])
    class ChatConsumer(AsyncJsonWebsocketConsumer):
        """Docstring that @channel(description=...) overrides."""

        passthrough_events = [UserJoined]

        @ws_handler(summary="Handle ping requests")
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

        @ws_handler(
            summary="Handle chat messages",
            description="Process chat messages and broadcast to room members",
            output_type=ChatNotice,
            tags=["chat", "messaging"],
        )
        async def handle_chat(self, message: Chat) -> None:
            await self.broadcast_message(ChatNotice(payload=message.payload))

        @ws_handler
        async def handle_log(self, message: Log) -> None:
            """Record a client log line."""

        @ws_handler(action="change")
        async def handle_edit_or_delete(self, message: Edit | Delete) -> Done:
            return Done()

        @event_handler
        async def handle_job_result(self, event: JobResult) -> JobResult:
            return event

        @event_handler(output_type=SystemNotification)
        async def handle_system_notify(self, event: SystemNotifyEvent) -> None:
            await self.send_message(SystemNotification(payload=event.payload))

        @event_handler
        async def handle_quiet(self, event: QuietEvent) -> None:
            """Sends nothing, so there is nothing to document."""

    class DocstringConsumer(AsyncJsonWebsocketConsumer):
        """Documented by its docstring: </script><b>bold?</b>"""

        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    class BareConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    @channel(name="camel", tags=["camel"])
    class CamelConsumer(AsyncJsonWebsocketConsumer):
        """Chat, camelized on the wire."""

        formatters = ("test-camel",)

        @ws_handler(output_type=ChatNotice)
        async def handle_chat(self, message: Chat) -> None:
            await self.broadcast_message(ChatNotice(payload=message.payload))

        @event_handler
        async def handle_job_result(self, event: JobResult) -> JobResult:
            return event

    @channel(name="pets")
    class PetConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_adopt(self, message: Adopt) -> Adopt:
            return message

    class UnroutedConsumer(AsyncJsonWebsocketConsumer):
        """Defined but mounted nowhere."""

        @ws_handler
        async def handle_ping(self, message: PingMessage) -> PongMessage:
            return PongMessage()

    return SimpleNamespace(
        ChatConsumer=ChatConsumer,
        DocstringConsumer=DocstringConsumer,
        BareConsumer=BareConsumer,
        CamelConsumer=CamelConsumer,
        PetConsumer=PetConsumer,
        UnroutedConsumer=UnroutedConsumer,
    )


@pytest.fixture
def consumers(plugin_host: PluginHost) -> SimpleNamespace:
    """The sample consumers, on a fresh plugin host that knows the `test-camel` formatter."""
    plugin_host.register(CamelPlugin(), name="tests-camel")
    return define_consumers()


@pytest.fixture
def starlette_app(consumers: SimpleNamespace) -> Starlette:
    """Starlette: plain routes, a nested Mount and path parameters with converters."""
    return Starlette(
        routes=[
            WebSocketRoute("/ws/chat/{room}", consumers.ChatConsumer.as_asgi()),
            Mount(
                "/api",
                routes=[
                    WebSocketRoute("/doc/{item_id:int}", consumers.DocstringConsumer.as_asgi()),
                    Mount(
                        "/v1", routes=[WebSocketRoute("/bare", consumers.BareConsumer.as_asgi())]
                    ),
                ],
            ),
        ]
    )


@pytest.fixture
def fastapi_app(consumers: SimpleNamespace) -> FastAPI:
    """FastAPI: both camelized and plain consumers, one of them on an included router."""
    app = FastAPI()
    app.router.add_websocket_route("/ws/chat/{room}", consumers.ChatConsumer.as_asgi())
    router = APIRouter()
    router.add_websocket_route("/camel", consumers.CamelConsumer.as_asgi())
    router.add_websocket_route("/pets", consumers.PetConsumer.as_asgi())
    app.include_router(router, prefix="/v2")
    return app


@pytest.fixture
def asyncapi_parser() -> Any:
    """Validate AsyncAPI files with the official `@asyncapi/parser`; returns the reports."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "@asyncapi" / "parser").is_dir():
        missing_tool(f"the AsyncAPI parser is not installed: run `npm ci` in {NODE_DIR}")

    def validate(*paths: Path) -> list[dict[str, Any]]:
        result = subprocess.run(
            [str(node), str(NODE_DIR / "validate.mjs"), *map(str, paths)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        reports = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
        assert len(reports) == len(paths), result.stderr
        return reports

    return validate


@pytest.fixture
def chromium_binary() -> str:
    """Path of the machine's Chromium (Debian package `chromium`)."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        missing_tool("chromium is not installed: apt-get install chromium")
    assert binary is not None
    return binary
