"""A virtualenv that holds this checkout's chanx as a user installs it: from its wheel.

The main venv runs chanx from the checkout (an editable install, no bytecode on disk, every
first-party plugin installed). A user's process runs chanx from the wheel pip installed
(byte-compiled at install) with only the plugins they chose. The `chanx-installed` server
runs in this venv, so the idle section can report what a deployment starts at. The venv gets
the same web stack versions as the main venv, and is rebuilt whenever chanx's sources or
those versions change.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from upstream_env import shared_pins

REPO = Path(__file__).resolve().parent.parent
VENV_DIR = Path(__file__).resolve().parent / ".venv-installed"
STAMP = VENV_DIR / ".bench-stamp"


def python_path() -> Path:
    """The interpreter of the installed venv."""
    return VENV_DIR / "bin" / "python"


def fingerprint() -> str:
    """What the venv was built from: chanx's sources, its pyproject and the stack's pins."""
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "chanx").rglob("*.py")]):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    digest.update("\n".join(shared_pins()).encode())
    return digest.hexdigest()


def ensure() -> Path:
    """Build the wheel of this checkout and install it with the pinned stack; return python.

    Raises:
        subprocess.CalledProcessError: the wheel did not build or pip could not install it.
    """
    wanted = fingerprint()
    python = python_path()
    if python.exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return python
    print(f"bench: installing chanx from its wheel into {VENV_DIR.name}", file=sys.stderr)
    venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    with tempfile.TemporaryDirectory() as wheels:
        subprocess.run([*pip, "wheel", "--quiet", "--no-deps", "-w", wheels, str(REPO)], check=True)
        (wheel,) = Path(wheels).glob("chanx-*.whl")
        subprocess.run([*pip, "install", "--quiet", str(wheel), *shared_pins()], check=True)
    STAMP.write_text(wanted)
    return python


if __name__ == "__main__":
    print(ensure())
