"""What the scale sections share: starting a server, running the load client, reading it back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import servers

CLIENT = Path(__file__).resolve().parent / "scale_client.py"


def server_names(option: str, section: str) -> list[str]:
    """The comma-separated server names of `option`, checked; `chanx-baseline` only if set."""
    names = [name for name in option.split(",") if name]
    unknown = [name for name in names if name not in servers.FANOUT_SERVERS]
    if unknown:
        known = ", ".join(servers.FANOUT_SERVERS)
        raise SystemExit(f"--{section}-servers: unknown {', '.join(unknown)} (known: {known})")
    for baseline in ("chanx-baseline", "chanx-baseline-redis"):
        if baseline in names and not servers.BASELINE:
            print(
                f"bench: {section}: CHANX_BENCH_BASELINE unset; {baseline} skipped",
                file=sys.stderr,
            )
            names.remove(baseline)
    return names


def run_client(name: str, mode: str, options: list[str], timeout: float) -> dict[str, Any]:
    """Start server `name`, run the load client against it in `mode`, stop the server.

    Raises:
        RuntimeError: the server did not start, or the client failed or overran `timeout`.
    """
    spec = servers.FANOUT_SERVERS[name]
    with servers.running(spec, "auto") as server:
        command = [
            sys.executable,
            str(CLIENT),
            mode,
            "--url",
            server.url,
            "--server-pid",
            str(server.pid),
            *options,
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{name}: {mode} client overran {timeout:.0f} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"{name}: {mode} client failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def log(section: str, text: str) -> None:
    print(f"bench: {section}: {text}", file=sys.stderr, flush=True)
