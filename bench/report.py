"""Summaries of benchmark runs: medians per server, ratios, environment, Markdown output."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METRICS = (
    "messages_per_s",
    "p50_ms",
    "p99_ms",
    "server_cpu_us_per_msg",
    "client_cpu_us_per_msg",
    "other_cpu_pct",
    "steal_pct",
)
STACK = ("uvicorn", "websockets", "starlette", "fastapi", "pydantic", "uvloop", "httptools")


@dataclass(frozen=True)
class Ratio:
    """A named ratio between two servers' medians, with the target it is compared to."""

    label: str
    numerator: str
    denominator: str
    metric: str
    target: float | None = None
    higher_is_better: bool = True


RATIOS = (
    Ratio("chanx / raw Starlette throughput", "chanx", "raw", "messages_per_s", 0.8),
    Ratio("chanx / upstream throughput", "chanx", "upstream", "messages_per_s", 2.5),
    Ratio("raw Starlette / upstream throughput", "raw", "upstream", "messages_per_s"),
    Ratio(
        "chanx / raw Starlette server CPU per message",
        "chanx",
        "raw",
        "server_cpu_us_per_msg",
        higher_is_better=False,
    ),
    Ratio(
        "upstream / chanx server CPU per message",
        "upstream",
        "chanx",
        "server_cpu_us_per_msg",
    ),
    Ratio(
        "upstream / raw Starlette server CPU per message",
        "upstream",
        "raw",
        "server_cpu_us_per_msg",
    ),
)


def medians(runs: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per server, the median of each metric over its rounds (plus min/max of CPU/msg)."""
    by_server: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_server.setdefault(run["server"], []).append(run)
    summary: dict[str, dict[str, float]] = {}
    for server, rows in by_server.items():
        summary[server] = {
            metric: statistics.median(row[metric] for row in rows)
            for metric in METRICS
            if all(row[metric] is not None for row in rows)
        }
        cpu = [row["server_cpu_us_per_msg"] for row in rows]
        summary[server]["server_cpu_min"] = min(cpu)
        summary[server]["server_cpu_max"] = max(cpu)
        summary[server]["rounds"] = len(rows)
        summary[server]["errors"] = sum(row["errors"] for row in rows)
    return summary


def ratios(summary: dict[str, dict[str, float]]) -> list[dict[str, Any]]:
    """Every ratio in RATIOS whose two servers were both run."""
    out = []
    for ratio in RATIOS:
        if ratio.numerator not in summary or ratio.denominator not in summary:
            continue
        value = summary[ratio.numerator][ratio.metric] / summary[ratio.denominator][ratio.metric]
        met = None
        if ratio.target is not None:
            met = value >= ratio.target if ratio.higher_is_better else value <= ratio.target
        out.append({"label": ratio.label, "value": value, "target": ratio.target, "met": met})
    return out


def _git_commit(repo: Path) -> str:
    """The short HEAD commit, marked when chanx/ has uncommitted changes."""
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit = done.stdout.strip() or "unknown"
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--", "chanx"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{commit} + uncommitted changes in chanx/" if dirty else commit


def _cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, if there is one."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment(repo: Path, upstream: dict[str, str] | None) -> dict[str, Any]:
    """Versions and machine facts that a reader needs to judge the numbers."""
    versions: dict[str, str] = {"python": platform.python_version()}
    for name in STACK:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["chanx (this repo)"] = f"{importlib.metadata.version('chanx')} @ {_git_commit(repo)}"
    if upstream:
        versions["upstream chanx"] = upstream.get("chanx", "not installed")
        versions["upstream fast-channels"] = upstream.get("fast-channels", "not installed")
        differ = [
            f"{name} {upstream.get(name)}"
            for name in STACK
            if upstream.get(name, versions[name]) != versions[name]
        ]
        versions["upstream venv stack"] = (
            "differs: " + ", ".join(differ) if differ else "same versions as above"
        )
    return {
        "versions": versions,
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": _cpu_model(),
            "platform": platform.platform(),
        },
        "executable": sys.executable,
    }


def _fmt(value: float | None, digits: int) -> str:
    """A number with thousands separators, or n/a."""
    return "n/a" if value is None else f"{value:,.{digits}f}"


def markdown(
    summary: dict[str, dict[str, float]],
    ratio_rows: list[dict[str, Any]],
    descriptions: dict[str, str],
    pending: list[str],
    failed: dict[str, str],
) -> str:
    """The results table and the ratio table as Markdown (pending and failed servers too)."""
    lines = [
        "| server | msgs/s | p50 ms | p99 ms | server CPU µs/msg (min-max) | client CPU µs/msg |"
        " other CPU % | rounds | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for server, row in summary.items():
        cpu = (
            f"{_fmt(row.get('server_cpu_us_per_msg'), 1)} "
            f"({row['server_cpu_min']:.1f}-{row['server_cpu_max']:.1f})"
        )
        lines.append(
            f"| {descriptions.get(server, server)} | {_fmt(row.get('messages_per_s'), 0)} "
            f"| {_fmt(row.get('p50_ms'), 2)} | {_fmt(row.get('p99_ms'), 2)} | {cpu} "
            f"| {_fmt(row.get('client_cpu_us_per_msg'), 1)} "
            f"| {_fmt(row.get('other_cpu_pct'), 0)} | {row['rounds']:.0f} "
            f"| {row['errors']:.0f} |"
        )
    for server in pending:
        lines.append(f"| {descriptions.get(server, server)} | pending | | | | | | | |")
    for server, why in failed.items():
        lines.append(f"| {descriptions.get(server, server)} | failed: {why} | | | | | | | |")
    if ratio_rows:
        lines += ["", "| ratio (of medians) | value | target |", "|---|---:|---|"]
        for row in ratio_rows:
            target = ""
            if row["target"] is not None:
                target = f"{row['target']} ({'met' if row['met'] else 'not met'})"
            lines.append(f"| {row['label']} | {row['value']:.2f} | {target} |")
    return "\n".join(lines)
