"""The authenticator-plugin template, as a plugin author would use it: built into a wheel,
installed with chanx into a fresh virtualenv, listed by `chanx plugins`, selected by name,
and its own tests (the contract subclasses) passing there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "templates" / "chanx-auth-example"

CONSUMER = """
import asyncio

from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
from chanx.testing.communicator import WebsocketCommunicator


class Chat(AsyncJsonWebsocketConsumer):
    authenticator_class = "example"
    send_authentication_message = True


async def main():
    async with WebsocketCommunicator(Chat.as_asgi(), "/ws?api_key=demo-key") as client:
        frame = await client.receive_json()
        assert frame["payload"]["status_code"] == 200, frame
    client = WebsocketCommunicator(Chat.as_asgi(), "/ws?api_key=wrong")
    await client.connect()
    await client.receive_json()
    assert await client.assert_closed() == 4401
    await client.disconnect()
    print("authenticated", type(Chat.__chanx_plan__.authenticator_factory).__name__)


asyncio.run(main())
"""


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CHANX_", "PYTHON", "VIRTUAL_ENV", "PYTEST"))
    }
    result = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=400,
        check=False,
    )
    assert result.returncode == 0, f"{args}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.mark.timeout(600)
def test_template_wheel_installs_lists_and_authenticates(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = (python, "-m", "pip", "--disable-pip-version-check")
    _run(*pip, "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", TEMPLATE)
    (wheel,) = (tmp_path / "dist").glob("chanx_auth_example-*.whl")
    _run(*pip, "install", "-q", f"{ROOT}[starlette]", f"{wheel}[test]")

    listed = json.loads(
        _run(python, "-c", "from chanx.cli import main; main(['plugins', '--json'])")
    )
    record = {r["name"]: r for r in listed}["auth-example"]
    assert (record["distribution"], record["status"]) == ("chanx-auth-example", "loaded")
    assert record["provides"] == {"authenticator": ["example"]}

    assert _run(python, "-c", CONSUMER).startswith("authenticated")

    out = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=TEMPLATE)
    assert " passed" in out, out  # a non-zero exit (a failure) was already an error
