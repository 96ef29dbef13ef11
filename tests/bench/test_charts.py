"""The benchmark charts in docs/images show the numbers of the JSON results they come from."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def charts() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_charts", ROOT / "bench" / "charts.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def labels(svg: Path) -> set[str]:
    return set(re.findall(r"<!-- (.*?) -->", svg.read_text()))


def expected_labels(module: ModuleType) -> tuple[set[str], set[str]]:
    roundtrip = module.roundtrip_bars(json.loads(module.ROUNDTRIP.read_text()))
    rt = {f"{b[2]:,.0f}" for b in roundtrip} | {f"{b[3]:.1f}" for b in roundtrip}
    rt |= {b[1] for b in roundtrip}
    _, series = module.fanout_groups(json.loads(module.FANOUT.read_text()))
    fo = {f"{v / 1000:,.0f}k" for values in series.values() for v in values}
    return rt, fo


def test_the_committed_charts_show_the_json_results() -> None:
    module = charts()
    roundtrip, fanout = expected_labels(module)
    assert "40,452" in roundtrip  # the run docs/benchmarks.md quotes in its table
    assert roundtrip <= labels(module.IMAGES / "bench-roundtrip.svg")
    assert fanout <= labels(module.IMAGES / "bench-fanout.svg")
    page = (ROOT / "docs" / "benchmarks.md").read_text()
    assert "images/bench-roundtrip.svg" in page
    assert "images/bench-fanout.svg" in page


def test_the_script_redraws_the_same_charts(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="bench/charts.py needs the bench group")
    module = charts()
    assert module.main(["--out", str(tmp_path)]) == 0
    for name in ("bench-roundtrip.svg", "bench-fanout.svg"):
        assert labels(tmp_path / name) == labels(module.IMAGES / name)
