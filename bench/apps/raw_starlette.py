"""Baseline: a hand-written Starlette JSON ping/pong endpoint, no framework on top."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def ping_endpoint(websocket: WebSocket) -> None:
    """Answer every `{"action": "ping"}` with `{"action": "pong", "payload": null}`."""
    await websocket.accept()
    try:
        while True:
            message = await websocket.receive_json()
            if message.get("action") == "ping":
                await websocket.send_json({"action": "pong", "payload": None})
    except WebSocketDisconnect:
        pass


app = Starlette(routes=[WebSocketRoute("/ws", ping_endpoint)])
