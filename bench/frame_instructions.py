"""Instructions per frame of the application itself, counted by valgrind (repeatable).

Timing a 2-core machine that other work shares is noisy; `valgrind --tool=callgrind` counts
the instructions a run executes, the same figure whatever else the machine does. This runs
`bench/asgi_cost.py --suspend` (each `receive()` yields once, as a server's does) for each app
with N1 and N2 frames and reports (I(N2) - I(N1)) / (N2 - N1): the instructions one ping/pong
round trip costs the application and the event loop, without the server's socket work.

    .venv/bin/python bench/frame_instructions.py [--baseline ../chanx-before] [--python ...]

`--baseline DIR` adds a row for an earlier checkout of chanx (run with `PYTHONPATH=DIR`);
`--python` (repeatable) measures under other interpreters that have the same packages.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from callgrind import count_instructions

BENCH = Path(__file__).resolve().parent


def instructions(python: str, app: str, frames: int, pythonpath: str) -> int:
    script = str(BENCH / "asgi_cost.py")
    command = [python, script, "--frames", str(frames), "--rounds", "1", "--suspend"]
    return count_instructions([*command, "--only", app], pythonpath, timeout=600)


def per_frame(python: str, app: str, pythonpath: str, low: int, high: int) -> int:
    return (
        instructions(python, app, high, pythonpath) - instructions(python, app, low, pythonpath)
    ) // (high - low)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="interpreter(s) to run under")
    parser.add_argument("--baseline", help="an earlier chanx checkout to compare with")
    parser.add_argument("--frames", type=int, nargs=2, default=(2000, 6000))
    parser.add_argument(
        "--django", action="store_true", help="add the consumer on Django (apps/django_ping.py)"
    )
    args = parser.parse_args()
    low, high = args.frames
    print("| python | app | instructions per frame | vs raw |\n|---|---|---:|---:|")
    for python in [os.path.abspath(p) for p in args.python or [sys.executable]]:
        version = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        raw = per_frame(python, "raw", "", low, high)
        rows = [("raw Starlette", raw), ("chanx", per_frame(python, "chanx", "", low, high))]
        if args.baseline:
            rows.append(("chanx (baseline)", per_frame(python, "chanx", args.baseline, low, high)))
        if args.django:
            rows.append(("chanx on Django", per_frame(python, "django", "", low, high)))
            if args.baseline:
                count = per_frame(python, "django", args.baseline, low, high)
                rows.append(("chanx on Django (baseline)", count))
        for name, count in rows:
            print(f"| {version} | {name} | {count:,} | {count / raw:.2f}x |")


if __name__ == "__main__":
    main()
