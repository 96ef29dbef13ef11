"""Draw the charts of docs/benchmarks.md "Scale in one process" from a `bench/scale.py` JSON.

    .venv/bin/pip install --group bench                 # matplotlib, for this script only
    .venv/bin/python bench/scale_charts.py bench/results/scale-DATE.json

Generic over sections: for every section in the file and every metric it declares, one SVG
`docs/images/scale-<section>-<metric>.svg` with a group of bars per workload and a bar per
server, each labelled with its value (a missing value is labelled "n/a"). The output is
deterministic: no date, fixed element ids, servers and workloads in the file's order.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
SERVER_LABELS = {
    "raw": "raw Starlette",
    "upstream": "upstream chanx 2.13",
    "chanx": "chanx",
    "chanx-baseline": "chanx (baseline)",
}
COLORS = {"raw": "#9e9e9e", "upstream": "#ef6c00", "chanx": "#3f51b5", "chanx-baseline": "#9fa8da"}
PALETTE = ["#00897b", "#8d6e63", "#c2185b", "#689f38"]


def ordered(items: list[str]) -> list[str]:
    """Unique items in first-seen order."""
    return list(dict.fromkeys(items))


def label(value: float | None) -> str:
    """A bar's label: three significant figures or so, thousands separated."""
    if value is None:
        return "n/a"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def series(
    rows: list[dict[str, Any]], metric: str
) -> tuple[list[str], dict[str, list[float | None]]]:
    """The workloads, and per server its value for each workload (None where it has none)."""
    workloads = ordered([row["workload"] for row in rows])
    names = ordered([row["server"] for row in rows])
    values: dict[str, list[float | None]] = {name: [None] * len(workloads) for name in names}
    for row in rows:
        value = row.get(metric)
        values[row["server"]][workloads.index(row["workload"])] = (
            None if value is None else float(value)
        )
    return workloads, values


def color(name: str, index: int) -> str:
    return COLORS.get(name, PALETTE[index % len(PALETTE)])


def draw(section: str, result: dict[str, Any], metric: str, title: str, out: Path) -> None:
    """One grouped bar chart of `metric` for `section`, written to `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "chanx-scale", "svg.fonttype": "path", "font.size": 9})
    workloads, values = series(result["rows"], metric)
    fig, axis = plt.subplots(figsize=(1.2 + 1.6 * len(workloads) * max(len(values), 2) / 2, 3.2))
    width = 0.8 / len(values)
    top = max((v for vs in values.values() for v in vs if v is not None), default=0.0)
    for number, (name, numbers) in enumerate(values.items()):
        offset = (number - (len(values) - 1) / 2) * width
        positions = [i + offset for i in range(len(workloads))]
        heights = [0.0 if v is None else v for v in numbers]
        drawn = axis.bar(
            positions,
            heights,
            width,
            label=SERVER_LABELS.get(name, name),
            color=color(name, number),
        )
        axis.bar_label(drawn, labels=[label(v) for v in numbers], padding=2, fontsize=7)
    axis.set_xticks(range(len(workloads)), workloads)
    axis.set_ylim(0, top * 1.25 if top > 0 else 1)
    axis.set_yticks([])  # each bar carries its value
    axis.set_title(f"{result['title']}: {title}", fontsize=9)
    axis.legend(
        frameon=False,
        ncol=min(len(values), 3),
        loc="upper center",
        fontsize=8,
        bbox_to_anchor=(0.5, -0.12),
    )
    axis.spines[["top", "right", "left"]].set_visible(False)
    fig.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")  # fits the legend
    plt.close(fig)


def draw_all(data: dict[str, Any], out_dir: Path) -> list[Path]:
    """Every (section, metric) chart of one scale JSON; returns the files written."""
    written = []
    for section, result in data["sections"].items():
        for metric, title in result["metrics"].items():
            if all(row.get(metric) is None for row in result["rows"]):
                continue
            out = out_dir / f"scale-{section}-{metric.replace('_', '-')}.svg"
            draw(section, result, metric, title, out)
            written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="a JSON file written by bench/scale.py --json")
    parser.add_argument("--out", type=Path, default=IMAGES, help="directory of the SVG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in draw_all(json.loads(args.results.read_text()), args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
