"""Scale inside one process: idle connections, big fan-out, Django, several workers.

One uvicorn worker per server (`--ws websockets-sansio`), clients in another process, every
server side by side in one run, loopback only, every wait bounded. Each section is a module
`bench/scale_<name>.py` with `add_arguments(parser)` (its `--<name>-*` options) and
`measure(args)`, which returns `{"title", "metrics": {key: label}, "rows": [{"workload",
"server", <metric>: number | None}], "notes": [...]}`. Sections are imported only when
selected.

    .venv/bin/python bench/scale.py --json bench/results/scale-DATE.json
    .venv/bin/python bench/scale.py --sections idle,fanout --fanout-members 2000
    CHANX_BENCH_BASELINE=/path/to/earlier/checkout .venv/bin/python bench/scale.py ...
    .venv/bin/python bench/scale_charts.py bench/results/scale-DATE.json   # the SVG charts

Prints a Markdown table per section; `--json OUT` also writes
`{"meta": {...}, "sections": {name: result}}`.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parent.parent
SECTIONS = ("idle", "fanout", "django", "workers")
STACK = (
    "uvicorn",
    "websockets",
    "starlette",
    "pydantic",
    "pydantic-core",
    "uvloop",
    "httptools",
    "fastapi",
    "channels",
    "daphne",
    "django",
)


def load_section(name: str) -> ModuleType:
    """Import `scale_<name>`, or stop with a message saying which module is missing."""
    try:
        return importlib.import_module(f"scale_{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"scale_{name}":
            raise
        raise SystemExit(
            f"section {name!r}: bench/scale_{name}.py is not in this checkout; "
            f"choose from the sections that are ({', '.join(available())})"
        ) from None


def available() -> list[str]:
    """The sections whose module exists next to this script."""
    here = Path(__file__).resolve().parent
    return [name for name in SECTIONS if (here / f"scale_{name}.py").exists()]


def git(*command: str, cwd: Path = REPO) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), *command], capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def versions() -> dict[str, str]:
    """Versions of the web stack in this interpreter (missing ones left out)."""
    import importlib.metadata

    found = {}
    for name in STACK:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def meta(argv: list[str], sections: list[str]) -> dict[str, Any]:
    """Where and with what the run was made."""
    import servers
    import upstream_env

    dirty = git("status", "--porcelain", "--", "chanx", "plugins")
    result: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "bench/scale.py", *argv]),
        "commit": git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else ""),
        "python": platform.python_version(),
        "versions": versions(),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "platform": platform.platform(),
        "ws": servers.WS_IMPL,
        "sections": sections,
    }
    if upstream_env.python_path().exists():
        result["upstream"] = upstream_env.installed_versions(
            upstream_env.python_path(), ("chanx", "fast-channels", *STACK)
        )
    if servers.BASELINE:
        result["baseline"] = {
            "path": servers.BASELINE,
            "commit": git("rev-parse", "--short", "HEAD", cwd=Path(servers.BASELINE)),
        }
    return result


def cell(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def markdown(name: str, result: dict[str, Any]) -> str:
    """One section as a Markdown table: a row per (workload, server), a column per metric."""
    metrics: dict[str, str] = result["metrics"]
    lines = [
        f"### {result['title']} (`{name}`)",
        "",
        "| workload | server | " + " | ".join(metrics.values()) + " |",
        "|---|---|" + "---:|" * len(metrics),
    ]
    for row in result["rows"]:
        cells = [cell(row.get(key)) for key in metrics]
        lines.append(f"| {row['workload']} | {row['server']} | {' | '.join(cells)} |")
    lines += [""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines)


def parser_for(modules: dict[str, ModuleType]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help=f"comma-separated, of {', '.join(SECTIONS)}"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    for module in modules.values():
        module.add_arguments(parser)
    return parser


def selected(argv: list[str]) -> list[str]:
    """The `--sections` value, read before the full parser exists (it needs the modules)."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--sections", default=",".join(SECTIONS))
    known, _ = early.parse_known_args(argv)
    names = [name for name in known.sections.split(",") if name]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        raise SystemExit(f"--sections: unknown {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    return names


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = selected(argv)
    if {"-h", "--help"} & set(argv):  # help lists the options of the sections present
        names = [name for name in names if name in available()]
    modules = {name: load_section(name) for name in names}
    args = parser_for(modules).parse_args(argv)
    run_meta = meta(argv, names)
    print(
        f"Date: {run_meta['date']}\nCommand: `{run_meta['command']}`\nCommit: "
        f"{run_meta['commit']}\nVersions: python {run_meta['python']}, "
        + ", ".join(f"{k} {v}" for k, v in run_meta["versions"].items())
        + f"\nMachine: nproc {run_meta['nproc']}, {run_meta['cpu']}\n"
    )
    results: dict[str, Any] = {}
    for name, module in modules.items():
        started = time.monotonic()
        results[name] = module.measure(args)
        results[name]["seconds"] = round(time.monotonic() - started, 1)
        print(markdown(name, results[name]) + "\n", flush=True)
        if args.json:  # after every section, so a later failure keeps what was measured
            payload = {"meta": run_meta, "sections": results}
            args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
