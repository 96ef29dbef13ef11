"""The installed distribution, seen for real: `chanx plugins`, and the hint once it is gone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

NAME = "camelize"
ENTRY_POINT = "format-camelize"
DISTRIBUTION = "chanx-format-camelize"

CONSUMER = f"""
from chanx.fast_channels.websocket import AsyncJsonWebsocketConsumer

class ChatConsumer(AsyncJsonWebsocketConsumer):
    formatters = ({NAME!r},)
"""

HIDDEN = f"""
import importlib.metadata as metadata

real = metadata.entry_points

def entry_points(**kwargs):  # as if the distribution were uninstalled
    return metadata.EntryPoints(e for e in real(**kwargs) if e.name != {ENTRY_POINT!r})

metadata.entry_points = entry_points
"""


def run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHANX_")}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**environ, **env}
    )


def test_chanx_plugins_lists_the_distribution_and_version() -> None:
    from importlib.metadata import version

    result = run("from chanx.cli import main; main(['plugins', '--json'])")
    assert result.returncode == 0, result.stderr
    records = {r["name"]: r for r in json.loads(result.stdout)}
    record = records[ENTRY_POINT]
    assert (record["distribution"], record["version"]) == (DISTRIBUTION, version(DISTRIBUTION))
    assert (record["status"], record["provides"]) == ("loaded", {"formatter": [NAME]})


def test_a_consumer_that_needs_it_is_created_while_installed() -> None:
    result = run(CONSUMER)
    assert result.returncode == 0, result.stderr


def test_once_uninstalled_class_creation_fails_with_the_install_hint() -> None:
    result = run(HIDDEN + CONSUMER)
    assert result.returncode == 1
    assert (
        f"ChatConsumer.formatters = {NAME!r}: no formatter named {NAME!r}: it is provided by "
        f'the {DISTRIBUTION} distribution; install it with pip install "chanx[{NAME}]".'
    ) in result.stderr


def test_disabled_it_fails_at_class_creation_naming_the_switch() -> None:
    result = run(CONSUMER, CHANX_DISABLED_PLUGINS=ENTRY_POINT)
    assert result.returncode == 1
    assert "CHANX_DISABLED_PLUGINS" in result.stderr
    assert DISTRIBUTION in result.stderr


def test_camelize_true_without_the_plugin_names_the_extra() -> None:
    code = HIDDEN + CONSUMER.replace(f"formatters = ({NAME!r},)", "camelize = True")
    result = run(code)
    assert result.returncode == 1
    assert "ChatConsumer.camelize = True: no formatter named" in result.stderr
    assert 'pip install "chanx[camelize]"' in result.stderr
