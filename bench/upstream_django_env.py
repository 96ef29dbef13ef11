"""A virtualenv holding upstream chanx 2.13 with its Django Channels extra, to run its consumer.

Like `upstream_env` (the fast-channels one), it is only ever *run* as a server process, never
imported here; it gets the main venv's web stack, Django and Channels versions, so the code
under test is the only difference.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import venv
from pathlib import Path

import upstream_env

UPSTREAM_CHANX = "chanx[channels]==2.13.0"
VENV_DIR = Path(__file__).resolve().parent / ".venv-upstream-django"
PINS_FILE = VENV_DIR / ".bench-pins"
DJANGO_STACK = ("django", "channels", "asgiref", "djangorestframework")


def requirements() -> list[str]:
    """Upstream chanx with Django, pinned to the versions this interpreter has."""
    pins = []
    for name in DJANGO_STACK:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return [UPSTREAM_CHANX, *upstream_env.shared_pins(), *pins]


def ensure() -> Path:
    """Create or refresh the venv when its pins differ; return its python.

    Raises:
        subprocess.CalledProcessError: pip could not install the requirements.
    """
    wanted = "\n".join(requirements())
    python = VENV_DIR / "bin" / "python"
    if python.exists() and PINS_FILE.exists() and PINS_FILE.read_text() == wanted:
        return python
    print(f"bench: installing {VENV_DIR.name}: {' '.join(requirements())}", file=sys.stderr)
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements()], check=True)
    PINS_FILE.write_text(wanted)
    return python


if __name__ == "__main__":
    print(ensure())
