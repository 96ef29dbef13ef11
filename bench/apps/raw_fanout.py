"""Baseline: a hand-written Starlette fan-out, a set of sockets and a loop of `send_text`."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

ROOM: set[WebSocket] = set()


async def fanout_endpoint(websocket: WebSocket) -> None:
    """Join the room; on each `shout`, encode it once and send it to every member in turn."""
    await websocket.accept()
    ROOM.add(websocket)
    try:
        while True:
            message = json.loads(await websocket.receive_text())
            if message.get("action") == "shout":
                text = json.dumps(message, separators=(",", ":"))
                for member in list(ROOM):
                    try:
                        await member.send_text(text)
                    except (WebSocketDisconnect, RuntimeError, OSError):
                        ROOM.discard(member)
    except WebSocketDisconnect:
        pass
    finally:
        ROOM.discard(websocket)


app = Starlette(routes=[WebSocketRoute("/ws", fanout_endpoint)])
