"""The optional generic parameter types send_event / broadcast_event for static checkers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

SNIPPET = textwrap.dedent(
    """
    from typing import Literal

    from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer
    from chanx.messages.base import BaseMessage


    class SystemNotifyEvent(BaseMessage):
        action: Literal["system_notify"] = "system_notify"
        payload: str


    class Other(BaseMessage):
        action: Literal["other"] = "other"
        payload: str


    class Typed(AsyncJsonWebsocketConsumer[SystemNotifyEvent]):
        pass


    class Untyped(AsyncJsonWebsocketConsumer):
        pass


    async def use() -> None:
        await Typed.send_event(SystemNotifyEvent(payload="x"), "chan")
        await Typed.broadcast_event(SystemNotifyEvent(payload="x"), groups=["g"])
        Typed.broadcast_event_sync(SystemNotifyEvent(payload="x"), groups=["g"])
        await Untyped.broadcast_event(Other(payload="any message is fine"))
        await Typed.broadcast_event(Other(payload="wrong"))  # error expected
        Typed.send_event_sync(Other(payload="wrong"), "chan")  # error expected
    """
)


@pytest.mark.timeout(300)
def test_mypy_checks_event_types_through_the_generic_parameter(tmp_path: Path) -> None:
    source = tmp_path / "typed_consumer.py"
    source.write_text(SNIPPET)
    stdout, stderr, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(source)]
    )
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 1, stdout + stderr
    expected = [
        str(n) for n, text in enumerate(SNIPPET.splitlines(), 1) if "error expected" in text
    ]
    assert [line.split(":")[1] for line in errors] == expected, stdout
    assert all('"Other"' in line and "SystemNotifyEvent" in line for line in errors), stdout


@pytest.mark.timeout(300)
def test_pyright_checks_event_types_through_the_generic_parameter(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = tmp_path / "typed_consumer.py"
    source.write_text(SNIPPET)
    result = subprocess.run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, str(source)],
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if " - error:" in line]
    expected = [
        str(n) for n, text in enumerate(SNIPPET.splitlines(), 1) if "error expected" in text
    ]
    assert [line.split(":")[1] for line in errors] == expected, result.stdout + result.stderr
    assert all('"Other"' in line for line in errors), result.stdout
