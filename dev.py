"""One entry point for working on chanx: `python3 dev.py demo | test | install | lint`.

It needs only Python 3.11+. On first use (and whenever a pyproject.toml changes) it creates
`.venv/` and installs the whole workspace into it in one pip call: the root distribution with
its dev dependency group and every plugin distribution under `plugins/<kind>/<dist>/`, all
editable. Then it runs the command inside that environment. `demo` on a fresh checkout
installs only what the demo needs (chanx with its `demo` extra) and starts at once; the next
other command completes the environment.

`python3 dev.py wheels [DIR]` builds chanx, every plugin distribution and the dependencies of
every extra into `dist/` (or DIR) without touching `.venv`; install from there with
`pip install --no-index --find-links dist "chanx[redis,token]"`.

`python3 dev.py docs` serves the documentation site at http://127.0.0.1:8001 (MkDocs, with
the API reference generated from the docstrings); `python3 dev.py docs build` builds it into
`site/` in strict mode, failing on broken links and references, as CI does.
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
DEMO_STAMP = VENV / ".demo-stamp"
DOCS_STAMP = VENV / ".docs-stamp"
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
        print(f"dev.py: creating {VENV.name}", flush=True)
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


def ensure_demo_environment() -> None:
    """Make `.venv` able to run the demo, installing only chanx[demo] when it cannot yet."""
    fingerprint = workspace_fingerprint()
    for stamp in (STAMP, DEMO_STAMP):
        if stamp.exists() and stamp.read_text() == fingerprint and PYTHON.exists():
            return
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit(f"chanx needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV.name}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    print("dev.py: installing what the demo needs (chanx[demo])", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", ".[demo]")
    DEMO_STAMP.write_text(fingerprint)


def build_wheels(out: Path) -> int:
    """Build chanx, every plugin and the wheels of all their dependencies into `out`.

    The result installs with `pip install --no-index --find-links <out> "chanx[...]"`: no
    index is needed, and none can offer the unrelated `chanx` of the public index instead.
    """
    import tomllib

    out.mkdir(parents=True, exist_ok=True)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    third_party = sorted(
        name
        for name, requirements in extras.items()
        if not any(r.startswith("chanx-") for r in requirements)
    )
    sources = [f"{ROOT}[{','.join(third_party)}]", *(str(p) for p in plugin_dirs())]
    print(f"dev.py: building chanx, {len(sources) - 1} plugins and their dependencies into {out}")
    status = subprocess.call(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            "--wheel-dir",
            str(out),
            *sources,
        ],
        cwd=ROOT,
    )
    if status == 0:
        print(
            "dev.py: install with\n"
            f'  pip install --no-index --find-links {out} "chanx[redis,token]"\n'
            "(--no-index: the `chanx` on the public package index is a different project)"
        )
    return status


def docs(rest: list[str]) -> int:
    """Serve the documentation site, or build it strictly with `docs build`."""
    fingerprint = workspace_fingerprint()
    if not DOCS_STAMP.exists() or DOCS_STAMP.read_text() != fingerprint:
        print("dev.py: installing the docs dependency group", flush=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--group", "docs")  # fmt: skip
        DOCS_STAMP.write_text(fingerprint)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if rest[:1] == ["build"]:
        args = ["build", "--strict", *rest[1:]]
    else:
        args = ["serve", "--dev-addr", "127.0.0.1:8001", *rest]
    return subprocess.call([str(PYTHON), "-m", "mkdocs", *args], cwd=ROOT, env=env)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in {"demo", "test", "install", "lint", "wheels", "docs"}:
        print(__doc__)
        return 0 if command == "help" else 2
    if command == "wheels":
        return build_wheels(Path(rest[0]).resolve() if rest else ROOT / "dist")
    if command == "demo":
        ensure_demo_environment()
        return subprocess.call([str(BIN / "chanx"), "demo", *rest], cwd=ROOT)
    ensure_environment()
    if command == "install":
        return 0
    if command == "docs":
        return docs(rest)
    if command == "lint":
        status = subprocess.call([str(PYTHON), "-m", "ruff", "check", "."], cwd=ROOT)
        status |= subprocess.call([str(PYTHON), "-m", "ruff", "format", "--check", "."], cwd=ROOT)
        status |= subprocess.call([str(PYTHON), "-m", "mypy"], cwd=ROOT)
        status |= subprocess.call([str(PYTHON), "-m", "pyright", "-p", str(ROOT)], cwd=ROOT)
        return status
    return subprocess.call([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
