"""Rules about the kernel itself: facade = hookspecs, every hook tested and documented, lazy."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chanx.kernel import ComponentRegistry, PluginHost, PluginSettings, hookspecs
from chanx.kernel.host import REGISTRATION_HOOKS

ROOT = Path(__file__).resolve().parents[2]
HOOKSPECS = {
    name: function
    for name, function in vars(hookspecs).items()
    if name.startswith("chanx_") and callable(function)
}


def parameters(function: object) -> list[str]:
    return [p for p in inspect.signature(function).parameters if p != "self"]  # type: ignore[arg-type]


def test_there_are_nine_hooks() -> None:
    assert sorted(HOOKSPECS) == [
        "chanx_connection_closed",
        "chanx_connection_opened",
        "chanx_consumer_prepared",
        "chanx_register_authenticators",
        "chanx_register_doc_emitters",
        "chanx_register_formatters",
        "chanx_register_layers",
        "chanx_register_observers",
        "chanx_validate_consumer",
    ]


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_every_hook_has_a_facade_method_or_fills_a_registry(name: str) -> None:
    spec = HOOKSPECS[name]
    if name in REGISTRATION_HOOKS:
        assert parameters(spec) == ["registry"]
        host = PluginHost(PluginSettings(autoload=False))
        assert isinstance(getattr(host, REGISTRATION_HOOKS[name]), ComponentRegistry)
    else:
        method = getattr(PluginHost, name.removeprefix("chanx_"))
        assert parameters(method) == parameters(spec)


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_every_hookspec_documents_when_args_and_result(name: str) -> None:
    doc = inspect.getdoc(HOOKSPECS[name]) or ""
    assert "Called" in doc or "Historic" in doc
    assert "Args:" in doc
    assert "Returns:" in doc
    assert not inspect.iscoroutinefunction(HOOKSPECS[name])


def test_only_consumer_prepared_is_historic() -> None:
    historic = [n for n, f in HOOKSPECS.items() if f.chanx_spec.get("historic")]  # type: ignore[attr-defined]
    assert historic == ["chanx_consumer_prepared"]


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_every_hook_is_in_the_plugin_author_guide(name: str) -> None:
    guide = (ROOT / "docs" / "plugin-kernel.md").read_text()
    assert re.search(rf"`{name}\(", guide), f"docs/plugin-kernel.md does not document {name}"


@pytest.mark.parametrize("name", sorted(HOOKSPECS))
def test_every_hook_is_exercised_by_a_test(name: str) -> None:
    here = Path(__file__)
    sources = [p.read_text() for p in here.parent.glob("test_*.py") if p != here]
    assert any(f"def {name}(" in source for source in sources)


def test_only_host_py_touches_pm_hook() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "chanx").rglob("*.py")
        if path != ROOT / "chanx" / "kernel" / "host.py"
        and re.search(r"\.hook\.chanx_|\bpm\.hook\b|_pm\.hook\b", path.read_text())
    ]
    assert offenders == []


def test_importing_chanx_scans_no_entry_point_and_builds_no_host() -> None:
    code = textwrap.dedent(
        """
        import importlib.metadata, sys
        scans = []
        original = importlib.metadata.entry_points
        def counting(*args, **kwargs):
            scans.append(1)
            return original(*args, **kwargs)
        importlib.metadata.entry_points = counting
        import chanx, chanx.kernel, chanx.builtin.layers, chanx.cli
        from chanx.kernel import host
        print(len(scans), host._host is None)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["0", "True"]


def test_importing_the_kernel_does_not_import_importlib_metadata() -> None:
    code = (
        "import sys, chanx; before = 'importlib.metadata' in sys.modules; "
        "import chanx.kernel, chanx.cli; "
        "print(before or 'importlib.metadata' not in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "True"
