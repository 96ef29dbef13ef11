"""One entry point for working on chanx: `python3 dev.py demo | test | install | lint`.

It needs only Python 3.11+. On first use (and whenever a pyproject.toml changes) it creates
`.venv/` and installs the whole workspace into it in one pip call: the root distribution with
its dev dependency group and every plugin distribution under `plugins/<kind>/<dist>/`, all
editable. Then it runs the command inside that environment.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".dev-stamp"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
MIN_PIP = "25.1"  # first pip with `--group` (PEP 735 dependency groups)


def plugin_dirs() -> list[Path]:
    """Every plugin distribution in the workspace, in a stable order."""
    return sorted(p.parent for p in ROOT.glob("plugins/*/*/pyproject.toml"))


def workspace_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in [
        ROOT / "pyproject.toml",
        Path(__file__),
        *(d / "pyproject.toml" for d in plugin_dirs()),
    ]:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def ensure_environment() -> None:
    """Create or refresh `.venv` so it holds the current workspace."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit(f"chanx needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    fingerprint = workspace_fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV.relative_to(ROOT)}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("dev.py: installing the workspace (root, dev group, plugins)", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"pip>={MIN_PIP}")
    editables: list[str] = ["-e", "."]
    for plugin in plugin_dirs():
        editables += ["-e", str(plugin.relative_to(ROOT))]
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--group",
        "dev",
        *editables,
    )
    STAMP.write_text(fingerprint)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in {"demo", "test", "install", "lint"}:
        print(__doc__)
        return 0 if command == "help" else 2
    ensure_environment()
    if command == "install":
        return 0
    if command == "demo":
        return subprocess.call([str(BIN / "chanx"), "demo", *rest], cwd=ROOT)
    if command == "lint":
        status = subprocess.call([str(PYTHON), "-m", "ruff", "check", "."], cwd=ROOT)
        status |= subprocess.call([str(PYTHON), "-m", "ruff", "format", "--check", "."], cwd=ROOT)
        status |= subprocess.call([str(PYTHON), "-m", "mypy"], cwd=ROOT)
        return status
    return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
