"""Count the instructions one command executes, with `valgrind --tool=callgrind` (repeatable)."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def count_instructions(command: list[str], pythonpath: str, timeout: float) -> int:
    """Instructions `command` executes (run from bench/, with `PYTHONPATH=pythonpath`)."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", *command],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": pythonpath},
            cwd=BENCH,
            timeout=timeout,
            check=True,
        )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1))
