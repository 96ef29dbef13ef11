"""Install hints name the command that works from a checkout, and missing frameworks the extra."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chanx.kernel.install import install_command, install_hint


def test_the_install_command_reads_dist_and_never_the_index() -> None:
    assert install_command("redis") == 'pip install --no-index --find-links dist "chanx[redis]"'
    assert "python3 dev.py wheels" in install_hint("redis")


@pytest.mark.parametrize(
    ("module", "missing", "extra"),
    [
        ("chanx.fast_channels.websocket", "starlette", "starlette"),
        ("chanx.channels.websocket", "django", "django"),
        ("chanx.channels.websocket", "channels", "django"),
    ],
)
def test_a_missing_framework_names_the_extra_to_install(
    module: str, missing: str, extra: str
) -> None:
    code = f"import sys; sys.modules[{missing!r}] = None\nimport {module}"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"ModuleNotFoundError: {module.rsplit('.', 1)[0]} needs {missing}, which is not "
        f"installed. Install it with {install_hint(extra)}."
    )
