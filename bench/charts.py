"""Draw the benchmark charts of docs/benchmarks.md from the benchmarks' JSON results.

    .venv/bin/pip install --group bench      # matplotlib, for this script only
    .venv/bin/python bench/charts.py          # rewrites docs/images/bench-*.svg

Inputs (the runs docs/benchmarks.md quotes): `bench/results/roundtrip-2026-11-24-final.json`
(`bench/roundtrip.py --json`) and `bench/results/fanout-2026-11-24.json` (`bench/fanout.py
--json`). Each bar is labelled with the value it shows (the SVG keeps each label as a comment
beside its glyphs), so the page's tables and charts can be checked against each other. The
output is deterministic: no date, fixed element ids.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
IMAGES = ROOT / "docs" / "images"
ROUNDTRIP = RESULTS / "roundtrip-2026-11-24-final.json"
FANOUT = RESULTS / "fanout-2026-11-24.json"

SERVER_LABELS = {"chanx": "chanx", "raw": "raw Starlette", "upstream": "upstream chanx 2.13"}
LAYER_LABELS = {
    "chanx-redis": "chanx-layer-redis",
    "channels_redis-core": "channels_redis core",
    "channels_redis-pubsub": "channels_redis pub/sub",
}
COLORS = {"chanx": "#3f51b5", "raw": "#9e9e9e", "upstream": "#ef6c00"}
LAYER_COLORS = ["#3f51b5", "#ef6c00", "#8d6e63"]


def roundtrip_bars(data: dict[str, Any]) -> list[tuple[str, str, float, float]]:
    """(key, label, messages per second, server CPU µs per message) for each server."""
    summary = data["summary"]
    return [
        (key, SERVER_LABELS.get(key, key), s["messages_per_s"], s["server_cpu_us_per_msg"])
        for key, s in summary.items()
    ]


def fanout_groups(data: dict[str, Any]) -> tuple[list[str], dict[str, list[float]]]:
    """Shape labels ("100 members, 1 process") and each layer's median deliveries/s."""
    shapes: list[tuple[int, int]] = []
    values: dict[str, list[float]] = {}
    for row in data["summary"]:
        shape = (row["members"], row["processes"])
        if shape not in shapes:
            shapes.append(shape)
        values.setdefault(row["layer"], []).append(row["median_per_s"])
    labels = [f"{m:,} members\n{p} process{'es' if p > 1 else ''}" for m, p in shapes]
    return labels, values


def _setup() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "chanx-bench", "svg.fonttype": "path", "font.size": 10})
    return plt


def draw_roundtrip(data: dict[str, Any], out: Path) -> None:
    plt = _setup()
    bars = roundtrip_bars(data)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3))
    for axis, index, title, fmt in (
        (left, 2, "Messages/s (higher is better)", "{:,.0f}"),
        (right, 3, "Server CPU µs/message (lower is better)", "{:.1f}"),
    ):
        names = [b[1] for b in bars]
        values = [b[index] for b in bars]
        drawn = axis.barh(names, values, color=[COLORS.get(b[0], "#607d8b") for b in bars])
        axis.bar_label(drawn, labels=[fmt.format(v) for v in values], padding=3)
        axis.set_title(title)
        axis.invert_yaxis()
        axis.set_xlim(0, max(values) * 1.3)
        axis.set_xticks([])  # each bar carries its value
        axis.spines[["top", "right", "bottom"]].set_visible(False)
    fig.suptitle("Round trip, 64 connections, uvicorn websockets-sansio, 1 worker")
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)


def draw_fanout(data: dict[str, Any], out: Path) -> None:
    plt = _setup()
    labels, values = fanout_groups(data)
    fig, axis = plt.subplots(figsize=(9, 3.8))
    width = 0.8 / len(values)
    for number, (layer, series) in enumerate(values.items()):
        positions = [i + (number - (len(values) - 1) / 2) * width for i in range(len(series))]
        drawn = axis.bar(
            positions,
            series,
            width,
            label=LAYER_LABELS.get(layer, layer),
            color=LAYER_COLORS[number % len(LAYER_COLORS)],
        )
        axis.bar_label(drawn, labels=[f"{v / 1000:,.0f}k" for v in series], padding=2, fontsize=8)
    axis.set_xticks(range(len(labels)), labels)
    axis.set_ylabel("deliveries per second (median)")
    axis.set_title("Group fan-out through one Redis (higher is better)")
    axis.set_ylim(0, max(max(series) for series in values.values()) * 1.3)
    axis.yaxis.set_major_formatter("{x:,.0f}")
    axis.legend(frameon=False, ncol=len(values), loc="upper center")
    axis.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="directory of the SVG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    draw_roundtrip(json.loads(ROUNDTRIP.read_text()), args.out / "bench-roundtrip.svg")
    draw_fanout(json.loads(FANOUT.read_text()), args.out / "bench-fanout.svg")
    print(f"wrote {args.out / 'bench-roundtrip.svg'} and {args.out / 'bench-fanout.svg'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
