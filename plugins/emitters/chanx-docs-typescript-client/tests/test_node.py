"""The generated TypeScript client, compiled with tsc, run in Node against real uvicorn."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from chanx.testing.server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

NODE_DIR = Path(__file__).parent / "node"


async def run_node(
    node: str, compiled: Path, url: str, token: str, mode: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        node,
        "--experimental-websocket",
        "--no-warnings",
        str(NODE_DIR / "run.js"),
        str(compiled),
        url,
        token,
        mode,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def read_json_line(process: asyncio.subprocess.Process) -> Any:
    assert process.stdout is not None
    async with asyncio.timeout(60):
        line = await process.stdout.readline()
    if not line:
        assert process.stderr is not None
        raise AssertionError((await process.stderr.read()).decode())
    return json.loads(line)


async def test_the_client_works_in_node(
    node: str, compiled: Path, fixture_app_module: ModuleType, assert_checks: Any
) -> None:
    async with LiveServer(fixture_app_module.app) as server:
        process = await run_node(
            node, compiled, server.ws_url(""), fixture_app_module.token("ann"), "checks"
        )
        results = await read_json_line(process)
        await process.wait()
    assert_checks(results, ["subprotocol", "query", "header"])


async def test_the_node_client_reconnects_after_the_server_restarts(
    node: str, compiled: Path, fixture_app_module: ModuleType
) -> None:
    async with LiveServer(fixture_app_module.app) as first:
        port = first.port
        process = await run_node(
            node, compiled, first.ws_url(""), fixture_app_module.token("ann"), "reconnect"
        )
        assert await read_json_line(process) == {"opened": "ann", "calls": 1}
    async with LiveServer(fixture_app_module.app, port=port):
        reopened = await read_json_line(process)
        await process.wait()
    assert reopened == {"reopened": "ann", "connections": 2, "calls": True}
    assert process.returncode == 0


async def test_the_node_client_reconnects_after_the_server_process_is_killed(
    node: str, compiled: Path, fixture_app_module: ModuleType, uvicorn_process: Any
) -> None:
    port = uvicorn_process.free_port()
    server = await asyncio.to_thread(uvicorn_process.start_uvicorn, port)
    try:
        url, token = f"ws://127.0.0.1:{port}", fixture_app_module.token("ann")
        process = await run_node(node, compiled, url, token, "reconnect")
        assert await read_json_line(process) == {"opened": "ann", "calls": 1}
        server.send_signal(signal.SIGKILL)  # no close frame: the client sees 1006
        await asyncio.to_thread(server.wait)
        server = await asyncio.to_thread(uvicorn_process.start_uvicorn, port)
        reopened = await read_json_line(process)
        await process.wait()
    finally:
        server.kill()
        await asyncio.to_thread(server.wait)
    assert reopened == {"reopened": "ann", "connections": 2, "calls": True}
