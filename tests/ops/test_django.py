"""Django without the `CHANNEL_LAYERS` entry a consumer needs: a check error, one clear line.

The ops site (`apps/opsite`) has a `Room` consumer that joins a group and handles an event;
its settings have `CHANNEL_LAYERS` only when `OPS_LAYERS=1`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
import websockets

from .conftest import APPS, Server, daphne, recv_json

pytestmark = pytest.mark.e2e


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    server = Server([], Path("/dev/null"), env)  # only for its environment
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=APPS,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_manage_check_reports_the_missing_layer() -> None:
    result = _manage("check")
    assert result.returncode == 1
    assert "chanx.E004" in result.stderr
    assert "needs the channel layer 'default' for its groups ['room']" in result.stderr
    assert result.stderr.count("chanx.E004") == 1  # Room only: Open needs no layer
    assert _manage("check", OPS_LAYERS="1").returncode == 0


def test_runserver_refuses_to_start_without_the_layer(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:9"],
        cwd=APPS,
        env=Server([], tmp_path / "x", {}).env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "chanx.E004" in result.stdout + result.stderr


async def test_daphne_logs_one_clear_line_at_connect(tmp_path: Path, servers: list[Server]) -> None:
    server = daphne(tmp_path).start()  # daphne does not run system checks
    servers.append(server)
    for _ in range(2):
        async with websockets.connect(server.url("/ws/room"), open_timeout=10) as ws:
            await ws.send('{"action": "ping", "payload": 1}')
            assert await recv_json(ws) == {"action": "pong", "payload": 1}
    await asyncio.sleep(0.2)
    log = server.log()
    line = "Room runs without a channel layer: no channel layer is configured under the alias"
    assert log.count(line) == 1, log  # once per consumer class, not per connection
    assert "It joins no groups (room)" in log
    assert "ERROR" in log.split(line)[0].splitlines()[-1]
