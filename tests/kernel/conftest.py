"""Fixtures for the kernel tests: an isolated plugin host and installable fake distributions."""

from __future__ import annotations

import importlib
import os
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from chanx.kernel import host as host_module
from chanx.kernel import reset_plugin_host

SWITCHES = (
    "CHANX_DISABLE_PLUGIN_AUTOLOAD",
    "CHANX_DISABLED_PLUGINS",
    "CHANX_STRICT_PLUGINS",
    "CHANX_TRACE_PLUGINS",
)

MISSING_DEPENDENCY = "import chanx_test_missing_dependency\n"
"""A plugin module body that fails with ModuleNotFoundError when the host loads it."""


def _is_fake(ep: object, tmp_path: Path) -> bool:
    dist = getattr(ep, "dist", None)
    return dist is not None and str(dist.locate_file("")).startswith(str(tmp_path))


@pytest.fixture(autouse=True)
def isolated_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Every test starts and ends with no plugin host and no CHANX_* switch set.

    Discovery still goes through `importlib.metadata`, but only the distributions a test
    writes under its own `tmp_path` are seen: the plugins installed in the workspace (the
    formatter, layer and authenticator distributions) do not leak into these tests.
    """
    for name in SWITCHES:
        monkeypatch.delenv(name, raising=False)
    real = host_module._entry_points
    monkeypatch.setattr(
        host_module, "_entry_points", lambda: [ep for ep in real() if _is_fake(ep, tmp_path)]
    )
    reset_plugin_host()
    yield
    reset_plugin_host()


@dataclass
class FakeSite:
    """Writes installed-looking distributions (a `.dist-info` plus modules) onto `sys.path`."""

    root: Path
    monkeypatch: pytest.MonkeyPatch
    paths: list[Path] = field(default_factory=list)
    packages: set[str] = field(default_factory=set)

    def add(
        self,
        dist: str,
        version: str,
        entry_points: dict[str, str],
        modules: dict[str, str],
    ) -> Path:
        """Install `dist` with `[chanx]` entry points and `modules` (dotted name -> source)."""
        # One directory per distribution, so importlib.metadata's path cache is never stale.
        path = self.root / f"{dist}-{len(self.paths)}"
        for dotted, source in modules.items():
            parts = dotted.split(".")
            for depth in range(1, len(parts)):
                package = path.joinpath(*parts[:depth])
                package.mkdir(parents=True, exist_ok=True)
                (package / "__init__.py").touch()
            target = path.joinpath(*parts[:-1], f"{parts[-1]}.py")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(textwrap.dedent(source))
            if parts[0] not in self.packages:
                self._shadow(parts[0])
            self.packages.add(parts[0])
        info = path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[chanx]\n{lines}")
        self.monkeypatch.syspath_prepend(str(path))
        importlib.invalidate_caches()
        self.paths.append(path)
        return path

    def add_broken(self, dist: str = "chanx-layer-broken", ep: str = "layer-broken") -> Path:
        """Install `dist` whose plugin module imports a package that is not installed."""
        package = dist.replace("-", "_")
        return self.add(dist, "0.1.0", {ep: package}, {f"{package}.__init__": MISSING_DEPENDENCY})

    @property
    def pythonpath(self) -> str:
        """A PYTHONPATH value that makes a subprocess see every distribution written so far."""
        return os.pathsep.join(str(path) for path in self.paths)

    def _shadow(self, package: str) -> None:
        """Hide an imported package of the same name (a real plugin) until the test ends."""
        for name in list(sys.modules):
            if name.split(".")[0] == package:
                self.monkeypatch.delitem(sys.modules, name)

    def forget_modules(self) -> None:
        for name in list(sys.modules):
            if name.split(".")[0] in self.packages:
                del sys.modules[name]


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A `FakeSite` whose modules are dropped from `sys.modules` after the test."""
    site = FakeSite(tmp_path / "site", monkeypatch)
    yield site
    site.forget_modules()
