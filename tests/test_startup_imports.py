"""A process that serves consumers imports only what a running consumer needs.

A fresh interpreter imports a Starlette app with one group consumer (as `bench/apps/
chanx_fanout.py` does), builds the plugin host (every installed plugin's entry point loads)
and serves one connection through the ASGI interface: connect, a broadcast to the group,
disconnect. Nothing in the modules below may have been imported by then; each is reached
only by a feature the app does not use (docs, CLI, other adapters, optional plugins'
dependencies, did-you-mean hints).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

SERVE_ONE_CONNECTION = textwrap.dedent(
    """
    import asyncio, json, sys
    from typing import Literal

    from pydantic import BaseModel
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute

    from chanx.core.decorators import ws_handler
    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.kernel import get_plugin_host
    from chanx.messages.base import BaseMessage


    class ShoutPayload(BaseModel):
        seq: int


    class Shout(BaseMessage):
        action: Literal["shout"] = "shout"
        payload: ShoutPayload


    class Room(AsyncJsonWebsocketConsumer):
        groups = ["room"]
        allow_missing_origin = True
        send_completion = False

        @ws_handler(output_type=Shout)
        async def handle_shout(self, message: Shout) -> None:
            await self.broadcast_message(message)


    app = Starlette(routes=[WebSocketRoute("/ws", Room.as_asgi())])
    get_plugin_host()


    async def serve_one() -> list[str]:
        incoming: asyncio.Queue[dict] = asyncio.Queue()
        sent: list[dict] = []
        got_broadcast = asyncio.Event()

        async def send(message: dict) -> None:
            sent.append(message)
            if message["type"] == "websocket.send":
                got_broadcast.set()

        scope = {"type": "websocket", "path": "/ws", "raw_path": b"/ws", "query_string": b"",
                 "headers": [], "subprotocols": [], "scheme": "ws", "root_path": "",
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
                 "asgi": {"version": "3.0", "spec_version": "2.4"}}
        await incoming.put({"type": "websocket.connect"})
        frame = json.dumps({"action": "shout", "payload": {"seq": 1}})
        await incoming.put({"type": "websocket.receive", "text": frame})
        task = asyncio.create_task(app(scope, incoming.get, send))
        async with asyncio.timeout(20):
            await got_broadcast.wait()
            await incoming.put({"type": "websocket.disconnect", "code": 1000})
            await task
        return [m["type"] for m in sent]


    types = asyncio.run(serve_one())
    print(json.dumps({"sent": types, "modules": sorted(sys.modules)}))
    """
)

NOT_FOR_SERVING = (
    "chanx.asyncapi",  # docs
    "chanx.cli",
    "chanx.kernel.cli",
    "chanx.demo",
    "chanx.testing",
    "chanx.channels",  # the Django adapter
    "chanx_otel.observer",  # the otel plugin's runtime, until a consumer selects it
    "opentelemetry",
    "chanx_layer_redis.layer",
    "redis",
    "django",
    "yaml",
    "msgpack",
    "humps",
    "difflib",  # did-you-mean hints, only when a name is wrong
    "chanx.core.topic",  # topics: only for a consumer that declares some
    "chanx.core.topics",
    "chanx.messages.topic",
    "chanx.layers.topics",
    "chanx.layers.memory_topics",
)


@pytest.fixture(scope="module")
def served() -> dict[str, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", SERVE_ONE_CONNECTION],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_app_served_a_connection_and_a_broadcast(served: dict[str, list[str]]) -> None:
    assert served["sent"][0] == "websocket.accept"
    assert "websocket.send" in served["sent"]


@pytest.mark.parametrize("module", NOT_FOR_SERVING)
def test_serving_a_consumer_does_not_import(served: dict[str, list[str]], module: str) -> None:
    loaded = [m for m in served["modules"] if m == module or m.startswith(module + ".")]
    assert loaded == []
