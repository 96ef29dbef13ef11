"""A layer inherited through ``os.fork()`` (gunicorn ``--preload``, prefork workers) serves
each child as its own process: a new process id, so broadcasts cross between the children."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.redis

HERE = Path(__file__).resolve().parent


def test_forked_children_get_their_own_process_id_and_hear_each_other(
    redis_url: str, prefix: str
) -> None:
    done = subprocess.run(
        [sys.executable, str(HERE / "forked.py"), redis_url, prefix],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    parent, *children = (json.loads(line) for line in done.stdout.splitlines())
    pids = sorted(child["pid"] for child in children)
    names = {child["name"] for child in children}
    assert len(names) == 2  # three processes, three ids
    assert parent["parent"] not in names
    for child in children:  # each got its own broadcast and the other child's
        assert sorted(child["got"]) == pids
