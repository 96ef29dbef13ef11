"""The documented install path, in a fresh virtual environment: build the wheels, install
offline from `dist/`, run a user's test with the `testing` extra, read the hints."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from chanx.kernel.install import install_hint

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.install, pytest.mark.timeout(900)]

USER_TEST = textwrap.dedent(
    """
    from typing import Literal

    from fastapi import FastAPI

    from chanx.core.decorators import ws_handler
    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.messages.base import BaseMessage
    from chanx.testing import WebsocketCommunicator


    class Echo(BaseMessage):
        action: Literal["echo"] = "echo"


    class EchoConsumer(AsyncJsonWebsocketConsumer):
        @ws_handler
        async def handle_echo(self, message: Echo) -> Echo:
            return message


    app = FastAPI()
    app.add_api_websocket_route("/ws", EchoConsumer.as_asgi(send_completion=True))


    async def test_echo():
        async with WebsocketCommunicator(app, "/ws") as client:
            await client.send_message({"action": "echo", "payload": 3})
            assert await client.receive_all_messages() == [{"payload": 3, "action": "echo"}]
    """
)


def run(*args: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_wheels_install_offline_into_a_fresh_venv(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    out = run(sys.executable, ROOT / "dev.py", "wheels", dist, cwd=ROOT)
    assert f'pip install --no-index --find-links {dist} "chanx[redis,token]"' in out
    venv.EnvBuilder(with_pip=True).create(tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    run(
        bin_dir / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        dist,
        "chanx[fastapi,redis,token,testing]",
        cwd=tmp_path,
    )
    where = run(bin_dir / "python", "-c", "import chanx; print(chanx.__file__)", cwd=tmp_path)
    assert where.startswith(str(tmp_path / "venv"))  # installed from the wheel, not a checkout
    plugins = run(bin_dir / "chanx", "plugins", cwd=tmp_path)
    assert "auth-token" in plugins
    assert "layer-redis" in plugins
    (tmp_path / "test_user.py").write_text(USER_TEST)
    report = run(
        bin_dir / "python", "-m", "pytest", "-q", "-p", "no:cacheprovider",
        "-o", "asyncio_mode=auto", "test_user.py", cwd=tmp_path,
    )  # fmt: skip
    assert "1 passed" in report
    missing = subprocess.run(
        [bin_dir / "python", "-c", "import chanx.channels.websocket"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert install_hint("django") in missing.stderr
