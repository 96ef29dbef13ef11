"""`dev.py demo` on a fresh checkout installs only the demo's needs; other commands all."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def dev(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ModuleType, list[Any]]:
    spec = importlib.util.spec_from_file_location("dev_under_test", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    venv_dir = tmp_path / ".venv"
    monkeypatch.setattr(module, "VENV", venv_dir)
    monkeypatch.setattr(module, "STAMP", venv_dir / ".dev-stamp")
    monkeypatch.setattr(module, "DEMO_STAMP", venv_dir / ".demo-stamp")
    monkeypatch.setattr(module, "PYTHON", venv_dir / "bin" / "python")
    monkeypatch.setattr(module, "BIN", venv_dir / "bin")
    calls: list[Any] = []

    class FakeBuilder:
        def __init__(self, **kwargs: Any) -> None:
            pass

        def create(self, path: Path) -> None:
            (path / "bin").mkdir(parents=True)
            (path / "bin" / "python").write_text("")
            calls.append("create")

    monkeypatch.setattr(module.venv, "EnvBuilder", FakeBuilder)
    monkeypatch.setattr(module, "run", lambda *args: calls.append([str(a) for a in args[1:]]))
    monkeypatch.setattr(module.subprocess, "call", lambda args, **kw: calls.append(args) or 0)
    return module, calls


def test_demo_installs_only_chanx_with_its_demo_extra_then_test_completes_it(
    dev: tuple[ModuleType, list[Any]],
) -> None:
    module, calls = dev
    assert module.main(["demo"]) == 0
    assert calls[:2] == ["create", ["-m", "pip", "install", "--quiet",
                                    "--disable-pip-version-check", "-e", ".[demo]"]]  # fmt: skip
    assert calls[2][0].endswith("chanx")
    assert calls[2][1] == "demo"
    calls.clear()
    assert module.main(["demo"]) == 0  # ready: nothing installed again
    assert len(calls) == 1
    calls.clear()
    assert module.main(["test", "-q"]) == 0
    installs = [c for c in calls if isinstance(c, list) and "install" in c]
    assert any("--group" in c and "dev" in c for c in installs)
    calls.clear()
    assert module.main(["demo"]) == 0  # the full environment runs the demo as it is
    assert len(calls) == 1


def test_a_stale_demo_environment_is_refreshed(dev: tuple[ModuleType, list[Any]]) -> None:
    module, calls = dev
    module.main(["demo"])
    module.DEMO_STAMP.write_text("old")
    calls.clear()
    module.main(["demo"])
    assert calls[0][-1] == ".[demo]"


def test_the_help_lists_wheels(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("dev_help", ROOT / "dev.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["help"]) == 0
    assert "dev.py wheels" in capsys.readouterr().out
    assert sys.version_info >= (3, 11)
