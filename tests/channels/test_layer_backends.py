"""chanx's layers as Django Channels ``CHANNEL_LAYERS`` backends, over real daphne and uvicorn.

The project in `layersite/` serves a chanx consumer next to Channels' own consumers (async
JSON, async text, sync with ``async_to_sync``), plus views and a management command that
``group_send``; `LAYERSITE_BACKEND` picks chanx's in-memory layer or its Redis layer.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
import websockets

from tests.ops.conftest import Server, recv_json

SITE = Path(__file__).resolve().parent / "layersite"
ROOT = SITE.parents[2]
TIMEOUT = 10

pytestmark = pytest.mark.e2e


def _redis_installed() -> bool:
    try:
        import chanx_layer_redis  # noqa: F401
    except ImportError:
        return False
    return True


EXPECTED_CLASS = {
    "memory": "chanx.layers.memory.InMemoryChannelLayer",
    "redis": "chanx_layer_redis.layer.RedisChannelLayer",
}


def _env(backend: str, prefix: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "layersite.settings",
        "PYTHONPATH": os.pathsep.join([str(SITE), str(ROOT)]),
        "LAYERSITE_BACKEND": backend,
        "LAYERSITE_PREFIX": prefix,
    }


def _server(kind: str, backend: str, prefix: str, log_dir: Path) -> Server:
    app = "layersite.asgi:application"
    if kind == "daphne":
        argv = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", app]
    else:
        argv = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", "{port}"]
        argv += ["--ws", "websockets-sansio", app]
    return Server(argv, log_dir / f"{kind}-{backend}.log", _env(backend, prefix), kind)


@pytest.fixture(
    scope="module",
    params=[(kind, b) for kind in ("uvicorn", "daphne") for b in ("memory", "redis")],
    ids=lambda p: f"{p[0]}-{p[1]}",
)
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str, str]]:
    """A server process serving `layersite` on one backend: (server, backend, prefix)."""
    kind, backend = request.param
    if backend == "redis" and not _redis_installed():
        pytest.skip("chanx-layer-redis not installed")
    prefix = f"layersite-{uuid.uuid4().hex[:8]}"
    server = _server(kind, backend, prefix, tmp_path_factory.mktemp(kind))
    server.start()
    try:
        yield server, backend, prefix
    finally:
        server.stop()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return json.loads(response.read())


async def _clients(server: Server) -> dict[str, Any]:
    names = ("async-json", "async", "sync")
    opened = [websockets.connect(server.url(f"/ws/{n}/"), open_timeout=TIMEOUT) for n in names]
    sockets = await asyncio.gather(*opened)
    return dict(zip(names, sockets, strict=True))


async def _everyone_gets(clients: dict[str, Any], text: str, via: str) -> None:
    for me, ws in clients.items():
        got = await recv_json(ws, TIMEOUT)
        assert (got["me"], got["text"], got["via"]) == (me, text, via)


async def _closing(clients: dict[str, Any]) -> None:
    await asyncio.gather(*(ws.close() for ws in clients.values()))


async def test_channels_consumers_share_a_group_through_the_layer(
    site: tuple[Server, str, str],
) -> None:
    server, _, _ = site
    clients = await _clients(server)
    try:
        await clients["sync"].send("from the sync consumer")
        await _everyone_gets(clients, "from the sync consumer", "sync")
        await clients["async-json"].send(json.dumps({"text": "json"}))
        await _everyone_gets(clients, "json", "async-json")
    finally:
        await _closing(clients)


async def test_a_consumer_sends_to_its_own_process_local_channel(
    site: tuple[Server, str, str],
) -> None:
    server, _, _ = site
    async with websockets.connect(server.url("/ws/async-json/"), open_timeout=TIMEOUT) as ws:
        await ws.send(json.dumps({"text": "me", "to": "self"}))
        got = await recv_json(ws, TIMEOUT)
        assert (got["text"], got["via"]) == ("me", "async-json")
        assert "!" in got["channel"]  # new_channel() names are process-local


async def test_a_sync_view_group_sends_with_async_to_sync(site: tuple[Server, str, str]) -> None:
    server, backend, _ = site
    clients = await _clients(server)
    try:
        answer = await asyncio.to_thread(_get, server.http("/notify/?text=hello"))
        assert answer == {"backend": EXPECTED_CLASS[backend], "extensions": ["groups", "flush"]}
        await _everyone_gets(clients, "hello", "view")
    finally:
        await _closing(clients)


async def test_chanx_consumers_broadcast_and_get_events_from_a_view(
    site: tuple[Server, str, str],
) -> None:
    server, _, _ = site
    url = server.url("/ws/room/")
    async with (
        websockets.connect(url, open_timeout=TIMEOUT) as a,
        websockets.connect(url, open_timeout=TIMEOUT) as b,
    ):
        await a.send(json.dumps({"action": "say", "payload": "hi room"}))
        for ws in (a, b):
            assert await recv_json(ws, TIMEOUT) == {"action": "say", "payload": "hi room"}
        assert await asyncio.to_thread(_get, server.http("/notice/?text=psst")) == {"sent": True}
        for ws in (a, b):
            assert await recv_json(ws, TIMEOUT) == {"action": "notice", "payload": "psst"}


def _manage(backend: str, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SITE / "manage.py"), *args],
        env={**os.environ, **_env(backend, prefix)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _runworker(backend: str, prefix: str, log: IO[bytes]) -> subprocess.Popen[bytes]:
    """Channels' ``manage.py runworker`` for the site's named channel."""
    return subprocess.Popen(
        [sys.executable, str(SITE / "manage.py"), "runworker", "layersite-jobs"],
        env={**os.environ, **_env(backend, prefix)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def test_a_management_command_reaches_the_servers_consumers(
    site: tuple[Server, str, str],
) -> None:
    server, backend, prefix = site
    if backend != "redis":
        pytest.skip("an in-memory layer lives in one process: a command cannot reach it")
    clients = await _clients(server)
    try:
        done = await asyncio.to_thread(_manage, backend, prefix, "notify_plain", "from a command")
        assert done.returncode == 0, done.stderr
        await _everyone_gets(clients, "from a command", "command")
    finally:
        await _closing(clients)


async def test_a_runworker_process_serves_a_named_channel(
    site: tuple[Server, str, str], tmp_path: Path
) -> None:
    server, backend, prefix = site
    if backend != "redis":
        pytest.skip("an in-memory layer lives in one process: a worker cannot reach it")
    clients = await _clients(server)
    log = (tmp_path / "runworker.log").open("wb")
    worker = _runworker(backend, prefix, log)
    try:
        args = ("notify_plain", "a job", "--via-worker")
        done = await asyncio.to_thread(_manage, backend, prefix, *args)
        assert done.returncode == 0, done.stderr
        await _everyone_gets(clients, "a job", "worker")  # queued until the worker receives
    finally:
        worker.kill()
        worker.wait(10)
        log.close()
        await _closing(clients)
