"""Draw the charts of docs/benchmarks.md "Scale in one process" from a `bench/scale.py` JSON.

    .venv/bin/pip install --group bench                 # matplotlib, for this script only
    .venv/bin/python bench/scale_charts.py bench/results/scale-DATE.json

Generic over sections: for every section in the file and every metric it declares, one SVG
`docs/images/scale-<section>-<metric>.svg` with a group of bars per workload and a bar per
server, each labelled with its value. A chart shows only the workloads, and in each workload
only the servers, that measured its metric (no empty "n/a" bars); each server of a section
has a colour of its own, the same in all the section's charts. The output is deterministic:
no date, fixed element ids, servers and workloads in the file's order.
"""

from __future__ import annotations

import argparse
import colorsys
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
PALETTE = [
    "#00897b",
    "#8d6e63",
    "#c2185b",
    "#689f38",
    "#fbc02d",
    "#0288d1",
    "#7b1fa2",
    "#455a64",
]


def ordered(items: list[str]) -> list[str]:
    """Unique items in first-seen order."""
    return list(dict.fromkeys(items))


def label(value: float) -> str:
    """A bar's label: three significant figures or so, thousands separated."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def series(
    rows: list[dict[str, Any]], metric: str
) -> tuple[list[str], dict[str, dict[int, float]]]:
    """The workloads that measured `metric`, and per server its value by workload index.

    A server is listed only if it measured `metric` somewhere, and holds only the workloads
    where it did, so no bar stands for a missing value.
    """
    measured = [row for row in rows if row.get(metric) is not None]
    workloads = ordered([row["workload"] for row in measured])
    values: dict[str, dict[int, float]] = {}
    for row in measured:
        values.setdefault(row["server"], {})[workloads.index(row["workload"])] = float(row[metric])
    return workloads, values


def colors(names: list[str]) -> dict[str, str]:
    """A colour per server, none shared: a known server's own, else the next free one.

    Free colours come from the palette, then, should it run out, from evenly spaced hues.
    """
    chosen = {name: COLORS[name] for name in names if name in COLORS}
    spare = [c for c in PALETTE if c not in chosen.values()]
    unknown = [name for name in names if name not in chosen]
    missing = len(unknown) - len(spare)
    for extra in range(missing):
        red, green, blue = colorsys.hsv_to_rgb(extra / missing, 0.6, 0.75)
        spare.append(f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}")
    chosen.update(zip(unknown, spare, strict=False))
    return {name: chosen[name] for name in names}


def groups(workloads: list[str], values: dict[str, dict[int, float]]) -> list[list[str]]:
    """Per workload, the servers that measured it, in the file's order."""
    return [
        [name for name, bars in values.items() if index in bars] for index in range(len(workloads))
    ]


def positions(members: list[list[str]], width: float) -> dict[str, list[float]]:
    """Per server, the x position of each of its bars, by workload.

    Each workload's group holds its servers side by side, centred on the workload's tick.
    """
    placed: dict[str, list[float]] = {}
    for index, group in enumerate(members):
        for slot, name in enumerate(group):
            placed.setdefault(name, []).append(index + (slot - (len(group) - 1) / 2) * width)
    return placed


def draw(section: str, result: dict[str, Any], metric: str, title: str, out: Path) -> None:
    """One grouped bar chart of `metric` for `section`, written to `out`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "chanx-scale", "svg.fonttype": "path", "font.size": 9})
    workloads, values = series(result["rows"], metric)
    members = groups(workloads, values)
    widest = max(len(group) for group in members)
    fig, axis = plt.subplots(figsize=(1.2 + 1.6 * len(workloads) * max(widest, 2) / 2, 3.2))
    width = 0.8 / widest  # every bar as wide as in the fullest group
    placed = positions(members, width)
    palette = colors(ordered([row["server"] for row in result["rows"]]))  # same in every chart
    top = max(v for bars in values.values() for v in bars.values())
    for name, bars in values.items():
        heights = [bars[index] for index in sorted(bars)]
        drawn = axis.bar(
            placed[name],
            heights,
            width,
            label=SERVER_LABELS.get(name, name),
            color=palette[name],
        )
        axis.bar_label(drawn, labels=[label(v) for v in heights], padding=2, fontsize=7)
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
