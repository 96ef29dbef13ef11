"""bench/scale.py: its lean WebSocket client, its sections' output, and its charts."""

from __future__ import annotations

import asyncio
import importlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench"
CHARTED = BENCH / "results" / "scale-final-2026-11-30.json"  # the run the charts show


@pytest.fixture(scope="module")
def bench_path() -> Iterator[None]:
    sys.path.insert(0, str(BENCH))
    try:
        yield
    finally:
        sys.path.remove(str(BENCH))


def bench_module(name: str) -> ModuleType:
    return importlib.import_module(name)


def server_frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked server frame, with the 16-bit length form when it needs it."""
    if len(payload) < 126:
        return bytes([0x80 | opcode, len(payload)]) + payload
    return bytes([0x80 | opcode, 126]) + len(payload).to_bytes(2, "big") + payload


class Transport:
    def __init__(self) -> None:
        self.written: list[bytes] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True


def unmask(frame: bytes) -> tuple[int, bytes]:
    """(opcode, payload) of a short masked client frame."""
    length = frame[1] & 0x7F
    key, body = frame[2:6], frame[6 : 6 + length]
    return frame[0] & 0x0F, bytes(b ^ key[i % 4] for i, b in enumerate(body))


@pytest.mark.usefixtures("bench_path")
def test_the_lean_client_parses_split_frames_answers_pings_and_records_the_close() -> None:
    leanws = bench_module("leanws")

    async def scenario() -> tuple[list[bytes], Any, Transport]:
        messages: list[bytes] = []
        ws = leanws.LeanWebSocket(7, b"GET", lambda ws, data: messages.append(data))
        transport = Transport()
        ws.connection_made(transport)
        ws.data_received(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
        await ws.opened
        big = b"x" * 300
        stream = server_frame(0x1, b'{"seq":1}') + server_frame(0x1, big)
        stream += server_frame(0x9, b"hi") + server_frame(0x8, (4429).to_bytes(2, "big"))
        for index in range(0, len(stream), 5):  # split anywhere, even inside a header
            ws.data_received(stream[index : index + 5])
        return messages, ws, transport

    messages, ws, transport = asyncio.run(scenario())
    assert messages == [b'{"seq":1}', b"x" * 300]
    assert ws.close_code == 4429
    replies = [unmask(frame) for frame in transport.written[1:]]
    assert replies == [(0xA, b"hi"), (0x8, (4429).to_bytes(2, "big"))]
    assert transport.closing


@pytest.mark.usefixtures("bench_path")
def test_the_lean_client_masks_its_frames() -> None:
    leanws = bench_module("leanws")
    frame = leanws.client_frame(0x1, b'{"action":"shout"}')
    assert frame[1] & 0x80
    assert unmask(frame) == (0x1, b'{"action":"shout"}')


@pytest.mark.usefixtures("bench_path")
def test_the_lean_client_refuses_a_host_off_the_loopback_interface() -> None:
    leanws = bench_module("leanws")
    with pytest.raises(ValueError, match="loopback"):
        leanws.upgrade_request("ws://192.0.2.1:8000/ws")


def test_a_section_that_is_not_in_the_checkout_is_refused_by_name(tmp_path: Path) -> None:
    script = tmp_path / "bench"
    script.mkdir()
    for name in ("scale.py", "scale_idle.py", "scale_sections.py", "servers.py"):
        (script / name).write_text((BENCH / name).read_text())
    done = subprocess.run(
        [sys.executable, str(script / "scale.py"), "--sections", "idle,django"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "section 'django': bench/scale_django.py is not in this checkout" in done.stderr


@pytest.mark.e2e
def test_a_small_run_writes_every_row_and_metric(tmp_path: Path) -> None:
    out = tmp_path / "scale.json"
    command = [
        sys.executable,
        str(BENCH / "scale.py"),
        "--sections",
        "idle,fanout",
        "--json",
        str(out),
        "--idle-servers",
        "raw,chanx",
        "--idle-sizes",
        "20,40",
        "--idle-settle",
        "1",
        "--fanout-servers",
        "raw,chanx",
        "--fanout-members",
        "30",
        "--fanout-warmup",
        "1",
        "--fanout-broadcasts",
        "3",
        "--fanout-burst",
        "3",
        "--fanout-cap",
        "20",
    ]
    subprocess.run(command, capture_output=True, text=True, timeout=240, check=True)
    data = json.loads(out.read_text())
    assert data["meta"]["versions"]["uvicorn"]
    idle, fanout = data["sections"]["idle"], data["sections"]["fanout"]
    assert [(r["workload"], r["server"]) for r in idle["rows"]] == [
        ("20 idle connections", "raw"),
        ("40 idle connections", "raw"),
        ("20 idle connections", "chanx"),
        ("40 idle connections", "chanx"),
    ]
    assert all(r["rss_before_mib"] > 0 and r["closed_by_server"] == 0 for r in idle["rows"])
    assert [r["server"] for r in fanout["rows"]] == ["raw", "chanx"]
    for row in fanout["rows"]:
        assert row["lost"] == 0
        assert row["burst_lost_pct"] == 0
        assert set(fanout["metrics"]) <= set(row)


def svg_labels(svg: Path) -> set[str]:
    return set(re.findall(r"<!-- (.*?) -->", svg.read_text()))


@pytest.mark.usefixtures("bench_path")
def test_the_committed_scale_charts_show_the_charted_run() -> None:
    charts = bench_module("scale_charts")
    data = json.loads(CHARTED.read_text())
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    for section, result in data["sections"].items():
        for metric in result["metrics"]:
            svg = charts.IMAGES / f"scale-{section}-{metric.replace('_', '-')}.svg"
            values = [row.get(metric) for row in result["rows"]]
            shown = {charts.label(value) for value in values if value is not None}
            assert shown <= svg_labels(svg), svg.name
        assert f"images/scale-{section}-" in page


@pytest.mark.usefixtures("bench_path")
def test_the_chart_script_redraws_the_same_charts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="bench/scale_charts.py needs the bench group")
    charts = bench_module("scale_charts")
    written = charts.draw_all(json.loads(CHARTED.read_text()), tmp_path)
    assert written
    for path in written:
        assert path.read_bytes() == (charts.IMAGES / path.name).read_bytes(), path.name


def legend_colours(svg: str) -> list[tuple[str, str]]:
    """(server label, fill colour) of each legend entry of a chart."""
    legend = svg[svg.index('<g id="legend_1">') :]
    entry = r'fill: (#[0-9a-f]{6})"/>\s*</g>\s*<g id="text_\d+">\s*<!-- (.*?) -->'
    return [(name, colour) for colour, name in re.findall(entry, legend)]


@pytest.mark.usefixtures("bench_path")
def test_a_chart_has_a_bar_for_each_measured_value_and_no_other() -> None:
    charts = bench_module("scale_charts")
    for section, result in json.loads(CHARTED.read_text())["sections"].items():
        for metric in result["metrics"]:
            workloads, values = charts.series(result["rows"], metric)
            bars = {
                (workloads[index], server): value
                for server, by_workload in values.items()
                for index, value in by_workload.items()
            }
            measured = {
                (row["workload"], row["server"]): float(row[metric])
                for row in result["rows"]
                if row.get(metric) is not None
            }
            assert bars == measured, f"{section} {metric}"
            placed = charts.positions(charts.groups(workloads, values), 0.1)
            assert {server: len(xs) for server, xs in placed.items()} == {
                server: len(by_workload) for server, by_workload in values.items()
            }
            every_x = [x for xs in placed.values() for x in xs]
            assert len(set(every_x)) == len(every_x), f"{section} {metric}: bars overlap"


@pytest.mark.usefixtures("bench_path")
def test_every_server_of_a_section_has_its_own_colour() -> None:
    charts = bench_module("scale_charts")
    for result in json.loads(CHARTED.read_text())["sections"].values():
        servers = charts.ordered([row["server"] for row in result["rows"]])
        palette = charts.colors(servers)
        assert list(palette) == servers
        assert len(set(palette.values())) == len(servers)
    many = ["chanx", "raw", *(f"server {n}" for n in range(3 * len(charts.PALETTE)))]
    assert len(set(charts.colors(many).values())) == len(many)
    assert charts.colors(many)["chanx"] == charts.COLORS["chanx"]


@pytest.mark.usefixtures("bench_path")
def test_drawn_charts_show_no_missing_value_and_no_shared_colour(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="bench/scale_charts.py needs the bench group")
    charts = bench_module("scale_charts")
    data = json.loads(CHARTED.read_text())
    written = charts.draw_all(data, tmp_path)
    assert any(path.name.startswith("scale-django-") for path in written)
    for path in written:
        svg = path.read_text()
        assert "n/a" not in svg_labels(path), path.name
        legend = legend_colours(svg)
        assert legend, path.name
        colours = [colour for _, colour in legend]
        assert len(set(colours)) == len(colours), f"{path.name}: {legend}"
