"""Errors and warnings are visible under each server's own logging, each exactly once.

The servers run as users start them, logging left as the server sets it up: plain uvicorn,
daphne, Django's `runserver`, and uvicorn with a `--log-config` that configures a root
handler (the JSON recipe of docs/logging.md). Also: refused handshakes leave no ERROR in
uvicorn's log, and the docs endpoints say once why they answer 404.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websockets

from .conftest import ROOT, UVICORN_WS, Server, daphne, recv_json, uvicorn

pytestmark = pytest.mark.e2e

FAILURE = re.compile(r"Open\.handle_boom raised \(action 'boom', connection \d+\)")


async def _boom(server: Server, ref: object = "r-1") -> dict[str, object]:
    """Make a handler raise; the client's error frame."""
    async with websockets.connect(server.url("/ws/open"), open_timeout=10) as ws:
        await ws.send(json.dumps({"action": "boom", "ref": ref}))
        reply: dict[str, object] = await recv_json(ws)
        await ws.send('{"action": "ping", "payload": 1}')
        assert await recv_json(ws) == {"action": "pong", "payload": 1}  # still serving
    return reply


async def _refused(server: Server, origin: str) -> int:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(server.url("/ws/listed"), origin=origin, open_timeout=10):
            pass
    return info.value.response.status_code


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("ws", UVICORN_WS)
async def test_plain_uvicorn_shows_each_error_and_warning_once(
    tmp_path: Path, servers: list[Server], ws: str
) -> None:
    server = uvicorn(tmp_path, ws).start()
    servers.append(server)
    reply = await _boom(server)
    assert reply["ref"] == "r-1"  # the client can correlate the failure
    assert reply["payload"] == {  # type: ignore[comparison-overlap]
        "code": "internal_error",
        "message": "The server failed to handle this message.",
        "errors": None,
    }
    for origin in ("http://localhost:5173", "https://*.example.com", "https://a.example.com/"):
        assert await _refused(server, origin) == 403
    async with websockets.connect(
        server.url("/ws/listed"), origin="https://a.example.com", open_timeout=10
    ):
        pass
    assert _get(server.http("/asyncapi")) == 404
    assert _get(server.http("/asyncapi.json")) == 404
    log = server.log()
    assert len(FAILURE.findall(log)) == 1, log
    assert log.count("RuntimeError: boom from the handler") == 1, log
    assert log.count("WARNING   chanx.security: refused a WebSocket handshake") == 1, log
    assert "add 'http://localhost:5173' to allowed_origins" in log
    assert log.count("answered 404 because the application's debug is off") == 1, log
    assert "returned without completing handshake" not in log, log


async def test_uvicorn_with_a_root_handler_logs_each_line_once_as_json(
    tmp_path: Path, servers: list[Server]
) -> None:
    """The JSON recipe of docs/logging.md, as a real `--log-config`: no duplicates."""
    recipe = (ROOT / "docs" / "logging.md").read_text()
    code = re.search(r"<!-- example: json -->\n```python\n(.*?)```", recipe, re.DOTALL)
    assert code is not None
    (tmp_path / "jsonlog.py").write_text(code.group(1))
    config = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "jsonlog.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"handlers": ["stderr"], "level": "INFO"},
    }
    (tmp_path / "logging.json").write_text(json.dumps(config))
    server = uvicorn(tmp_path, "websockets-sansio")
    server.argv[-1:-1] = ["--log-config", str(tmp_path / "logging.json")]
    server.env["PYTHONPATH"] += f":{tmp_path}"
    servers.append(server.start())
    await _boom(server, ref=17)
    records = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    failures = [r for r in records if r.get("handler") == "handle_boom"]
    assert len(failures) == 1, server.log()
    failure = failures[0]
    assert failure["level"] == "ERROR"
    assert failure["logger"] == "chanx.consumer"
    assert failure["action"] == "boom"
    assert failure["consumer"].endswith("Open")
    assert isinstance(failure["connection_id"], int)
    assert "RuntimeError: boom from the handler" in failure["traceback"]
    assert "boom from the handler" not in "\n".join(
        line for line in server.log().splitlines() if not line.startswith("{")
    )  # the fallback stepped aside: no plain-text copy


async def test_daphne_shows_each_error_once(tmp_path: Path, servers: list[Server]) -> None:
    server = daphne(tmp_path, OPS_LAYERS="1").start()
    servers.append(server)
    reply = await _boom(server, ref="d-1")
    assert reply["ref"] == "d-1"
    assert await _refused(server, "http://localhost:5173") == 403
    log = server.log()
    assert len(FAILURE.findall(log)) == 1, log
    assert log.count("RuntimeError: boom from the handler") == 1, log
    assert log.count("refused a WebSocket handshake from origin http://localhost:5173") == 1


async def test_runserver_shows_errors_with_djangos_default_logging(
    tmp_path: Path, servers: list[Server]
) -> None:
    argv = [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"]
    server = Server(argv, tmp_path / "runserver.log", {"OPS_LAYERS": "1"}).start()
    servers.append(server)
    await _boom(server)
    assert _get(server.http("/asyncapi/")) == 404
    log = server.log()
    assert len(FAILURE.findall(log)) == 1, log
    assert log.count("RuntimeError: boom from the handler") == 1, log
    assert log.count("answered 404 because DEBUG is False; set settings.CHANX_ASYNCAPI") == 1
