"""The separate virtualenv that holds upstream chanx, the peer we measure against.

Upstream chanx is only ever *run* (as a uvicorn server in its own process), never imported
into this repository's environment. Its venv gets the same web stack versions as the main
venv, so that the only difference between the servers is the code under test.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import venv
from pathlib import Path

UPSTREAM_CHANX = "chanx[fast-channels]==2.13.0"
VENV_DIR = Path(__file__).resolve().parent / ".venv-upstream"
PINS_FILE = VENV_DIR / ".bench-pins"

# Distributions whose versions must match the main venv, so every server runs the same stack.
SHARED_STACK = ("fastapi", "starlette", "uvicorn", "websockets", "uvloop", "httptools", "pydantic")


def python_path() -> Path:
    """The interpreter of the upstream venv."""
    return VENV_DIR / "bin" / "python"


def shared_pins() -> list[str]:
    """`name==version` for each shared-stack distribution installed in *this* interpreter."""
    pins = []
    for name in SHARED_STACK:
        try:
            pins.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            continue
    return pins


def requirements() -> list[str]:
    """Everything the upstream venv must hold: upstream chanx plus the pinned shared stack."""
    return [UPSTREAM_CHANX, *shared_pins()]


def ensure() -> Path:
    """Create or refresh the upstream venv when its pins differ; return its python.

    Raises:
        subprocess.CalledProcessError: pip could not install the requirements (for example,
            upstream chanx does not accept the main venv's pydantic or fastapi).
    """
    wanted = "\n".join(requirements())
    python = python_path()
    if python.exists() and PINS_FILE.exists() and PINS_FILE.read_text() == wanted:
        return python
    print(f"bench: installing {VENV_DIR.name}: {' '.join(requirements())}", file=sys.stderr)
    if not python.exists():
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV_DIR)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *requirements()], check=True)
    PINS_FILE.write_text(wanted)
    return python


def installed_versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    """Versions of `names` as seen by another interpreter (missing ones are left out)."""
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run(
        [str(python), "-c", code, *names], check=True, capture_output=True, text=True
    )
    return dict(json.loads(done.stdout))


if __name__ == "__main__":
    print(ensure())
