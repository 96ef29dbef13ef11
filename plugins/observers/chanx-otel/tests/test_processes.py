"""End to end: the demo app (examples/otel_fastapi) served by real uvicorn processes.

- On real Redis: a broadcast from the HTTP endpoint of process A yields, in process B, a
  delivery span in the same trace, the child of and linked to A's publish span.
- A Prometheus scrape over HTTP of a running server shows the frames it served.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from .conftest import require_redis

pytestmark = pytest.mark.e2e

APP_DIR = Path(__file__).resolve().parents[4] / "examples" / "otel_fastapi"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(env: dict[str, str]) -> Iterator[int]:
    """Serve the demo app with uvicorn on a free loopback port; always kill it."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "app:app", "--port", str(port)]
    command += ["--host", "127.0.0.1", "--ws", "websockets-sansio", "--log-level=warning"]
    proc = subprocess.Popen(command, cwd=APP_DIR, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"uvicorn on port {port} exited early"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, f"uvicorn on port {port} did not start"
                time.sleep(0.05)
        yield port
    finally:
        proc.kill()
        proc.wait(10)


def connect(port: int) -> Any:
    origin = f"http://127.0.0.1:{port}"
    return websockets.connect(f"ws://127.0.0.1:{port}/ws", origin=origin)  # type: ignore[arg-type]


def load_spans(path: Path, name: str) -> list[dict[str, Any]]:
    """The spans called `name` in a JSON-lines file (none if it does not exist yet)."""
    lines = path.read_text().splitlines() if path.exists() else []
    return [s for s in map(json.loads, lines) if s["name"] == name]


async def read_spans(path: Path, name: str, count: int = 1) -> list[dict[str, Any]]:
    """The spans called `name`, waiting up to 10 s until there are `count` of them."""
    for _ in range(200):
        spans = load_spans(path, name)
        if len(spans) >= count:
            return spans
        await asyncio.sleep(0.05)
    return load_spans(path, name)


@pytest.mark.redis
async def test_a_broadcast_in_process_a_links_to_deliveries_in_process_b(tmp_path: Path) -> None:
    require_redis()
    prefix = f"chanx-otel-{uuid.uuid4().hex[:8]}"
    shared = {"CHANX_DEMO_REDIS_URL": REDIS_URL, "CHANX_DEMO_REDIS_PREFIX": prefix}
    spans_a, spans_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    env_a = {**shared, "CHANX_DEMO_SERVICE": "a", "CHANX_DEMO_SPANS_FILE": str(spans_a)}
    env_b = {**shared, "CHANX_DEMO_SERVICE": "b", "CHANX_DEMO_SPANS_FILE": str(spans_b)}
    with server(env_a) as port_a, server(env_b) as port_b:
        async with connect(port_b) as first, connect(port_b) as second:
            async with httpx.AsyncClient() as http:
                reply = await http.post(f"http://127.0.0.1:{port_a}/notify", params={"text": "hi"})
            view = reply.json()
            for ws in (first, second):
                async with asyncio.timeout(10):
                    assert json.loads(await ws.recv()) == {"action": "notice", "payload": "hi"}
        (publish,) = await read_spans(spans_a, "Room publish")
        deliveries = await read_spans(spans_b, "Room notice", count=2)
    trace_id, publish_id = "0x" + view["trace_id"], publish["context"]["span_id"]
    assert publish["context"]["trace_id"] == trace_id
    assert publish["parent_id"] == "0x" + view["span_id"]
    assert publish["kind"] == "SpanKind.PRODUCER"
    assert publish["resource"]["attributes"]["service.name"] == "a"
    assert len(deliveries) == 2
    for delivery in deliveries:
        assert delivery["resource"]["attributes"]["service.name"] == "b"
        assert delivery["kind"] == "SpanKind.CONSUMER"
        assert delivery["context"]["trace_id"] == trace_id
        assert delivery["parent_id"] == publish_id
        assert [link["context"]["span_id"] for link in delivery["links"]] == [publish_id]
        assert delivery["attributes"]["chanx.action"] == "notice"


async def test_prometheus_scrapes_the_metrics_of_a_running_server() -> None:
    with server({}) as port:
        async with connect(port) as ws:
            for _ in range(3):
                await ws.send('{"action": "ping", "payload": null}')
                assert json.loads(await ws.recv()) == {"action": "pong", "payload": None}
            await ws.send("{oops")
            assert json.loads(await ws.recv())["payload"]["code"] == "invalid_json"
        await asyncio.sleep(0.2)  # the server records the close after the client's handshake
        async with httpx.AsyncClient() as http:
            reply = await http.get(f"http://127.0.0.1:{port}/metrics")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/plain")
    samples = {}
    for line in reply.text.splitlines():
        if line and not line.startswith("#"):
            name_and_labels, value = line.rsplit(" ", 1)
            samples[name_and_labels] = float(value)

    def sample(name: str, **labels: str) -> float | None:
        for key, value in samples.items():
            metric, _, rest = key.partition("{")
            found = dict(pair.split("=", 1) for pair in rest.rstrip("}").split(",") if "=" in pair)
            wanted = {k: f'"{v}"' for k, v in labels.items()}
            if metric == name and all(found.get(k) == v for k, v in wanted.items()):
                return value
        return None

    assert sample("chanx_frames_received_total", chanx_consumer="Room", chanx_action="ping") == 3
    assert sample("chanx_frames_received_total", chanx_action="(invalid)") == 1
    assert sample("chanx_frames_sent_total", chanx_action="pong") == 3
    assert sample("chanx_frames_errors_total", error_type="invalid_json") == 1
    assert sample("chanx_handler_duration_seconds_count", chanx_action="ping") == 3
    assert sample("chanx_connection_closes_total", websocket_close_code="1000") == 1
    assert sample("chanx_connections_open", chanx_consumer="Room") == 0
    assert sample("chanx_layer_messages_delivered_total", chanx_layer="default") is not None
