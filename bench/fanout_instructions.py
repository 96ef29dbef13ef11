"""Instructions per fan-out delivery of the application itself, counted by valgrind (repeatable).

Runs `bench/fanout_cost.py` (the fan-out apps driven through ASGI, no sockets) under
`valgrind --tool=callgrind` with B1 and B2 broadcasts to the same members and reports
(I(B2) - I(B1)) / ((B2 - B1) * members): what one delivery costs the application and the event
loop, the same figure whatever else the machine is doing.

    .venv/bin/python bench/fanout_instructions.py [--members 200] [--baseline ../chanx-before]

`--baseline DIR` adds a row for an earlier checkout of chanx (run with `PYTHONPATH=DIR`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from callgrind import count_instructions

BENCH = Path(__file__).resolve().parent


def instructions(app: str, members: int, broadcasts: int, pythonpath: str) -> int:
    script = str(BENCH / "fanout_cost.py")
    command = [sys.executable, script, "--only", app, "--members", str(members)]
    return count_instructions([*command, "--broadcasts", str(broadcasts)], pythonpath, 1200)


def per_delivery(app: str, members: int, low: int, high: int, pythonpath: str) -> int:
    extra = instructions(app, members, high, pythonpath) - instructions(
        app, members, low, pythonpath
    )
    return extra // ((high - low) * members)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--broadcasts", type=int, nargs=2, default=(5, 25))
    parser.add_argument("--baseline", help="an earlier chanx checkout to compare with")
    args = parser.parse_args()
    if not 2 <= args.members <= 5000:
        raise SystemExit("bounds: 2-5000 members")
    low, high = args.broadcasts
    raw = per_delivery("raw", args.members, low, high, "")
    rows = [
        ("hand-written loop", raw),
        ("chanx", per_delivery("chanx", args.members, low, high, "")),
    ]
    if args.baseline:
        rows.append(
            ("chanx (baseline)", per_delivery("chanx", args.members, low, high, args.baseline))
        )
    print(f"| app ({args.members} members) | instructions per delivery | vs loop |")
    print("|---|---:|---:|")
    for name, count in rows:
        print(f"| {name} | {count:,} | {count / raw:.2f}x |")


if __name__ == "__main__":
    main()
