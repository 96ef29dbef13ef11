"""`chanx plugins`: the table, --all, --json and --check, in-process and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import chanx
from chanx.cli import main

FOO_PLUGIN = """
from chanx.kernel import hookimpl


class FooLayer:
    pass


class Camel:
    pass


@hookimpl
def chanx_register_layers(registry):
    registry.add("foo", FooLayer)


@hookimpl
def chanx_register_formatters(registry):
    registry.add("camel", Camel)
    registry.add("snake", Camel)
"""

MISSING_ERROR = "ModuleNotFoundError: No module named 'chanx_test_missing_dependency'"


def install_foo(fake_site, dist: str = "chanx-layer-foo", ep: str = "layer-foo") -> None:
    package = dist.replace("-", "_")
    fake_site.add(dist, "1.2.3", {ep: package}, {f"{package}.__init__": FOO_PLUGIN})


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["plugins", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_table_lists_external_plugins_and_what_they_provide(fake_site, capsys) -> None:
    install_foo(fake_site)
    assert run(capsys) == (
        0,
        "NAME       DISTRIBUTION     VERSION  STATUS  PROVIDES\n"
        "layer-foo  chanx-layer-foo  1.2.3    loaded  layer: foo; formatter: camel, snake\n",
        "",
    )


def test_all_adds_the_builtins(fake_site, capsys) -> None:
    install_foo(fake_site)
    code, out, _ = run(capsys, "--all")
    assert code == 0
    assert out.splitlines()[1].split() == [
        "chanx.builtin.layers",
        "chanx",
        chanx.__version__,
        "builtin",
        "layer:",
        "memory",
    ]
    assert out.splitlines()[2].split()[0] == "chanx.builtin.docs"
    assert out.splitlines()[3].startswith("layer-foo ")


def test_with_no_external_plugin_it_says_so(capsys) -> None:
    assert run(capsys) == (
        0,
        "No external chanx plugins are installed. `chanx plugins --all` shows builtins.\n",
        "",
    )


def test_a_broken_plugin_shows_its_status_and_error(fake_site, capsys) -> None:
    fake_site.add_broken()
    code, out, _ = run(capsys)
    assert code == 0
    assert out.splitlines() == [
        "NAME          DISTRIBUTION        VERSION  STATUS  PROVIDES",
        "layer-broken  chanx-layer-broken  0.1.0    broken  -",
        f"layer-broken: {MISSING_ERROR}",
    ]


def test_json_lists_each_plugin_with_distribution_and_version(fake_site, capsys) -> None:
    install_foo(fake_site)
    code, out, _ = run(capsys, "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "name": "layer-foo",
            "distribution": "chanx-layer-foo",
            "version": "1.2.3",
            "status": "loaded",
            "error": None,
            "provides": {"layer": ["foo"], "formatter": ["camel", "snake"]},
            "hooks": ["chanx_register_formatters", "chanx_register_layers"],
        }
    ]


def test_python_dash_m_chanx_plugins_discovers_an_installed_distribution(
    fake_site, tmp_path
) -> None:
    install_foo(fake_site)
    from importlib.metadata import entry_points

    real = [
        ep.name
        for ep in entry_points(group="chanx")
        if ep.dist is None or str(tmp_path) not in str(ep.dist.locate_file(""))
    ]
    hidden = ",".join(real)  # the workspace's own plugins stay out of this listing
    env = {**os.environ, "PYTHONPATH": fake_site.pythonpath, "CHANX_DISABLED_PLUGINS": hidden}
    result = subprocess.run(
        [sys.executable, "-m", "chanx", "plugins", "--json", "--all", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    records = {r["name"]: r for r in json.loads(result.stdout)}
    assert records["layer-foo"]["distribution"] == "chanx-layer-foo"
    assert records["layer-foo"]["version"] == "1.2.3"
    assert records["chanx.builtin.layers"]["status"] == "builtin"


def test_check_exits_zero_when_every_plugin_is_healthy(fake_site, capsys) -> None:
    install_foo(fake_site)
    code, _, err = run(capsys, "--check")
    assert (code, err) == (0, "")


def test_check_exits_one_and_says_why_when_a_plugin_is_broken(fake_site, capsys) -> None:
    fake_site.add_broken()
    install_foo(fake_site)
    code, _, err = run(capsys, "--check")
    assert code == 1
    assert err == (
        f"chanx plugins: 'layer-broken' (chanx-layer-broken 0.1.0) is broken: {MISSING_ERROR}\n"
    )


def test_check_exits_one_when_two_plugins_conflict(fake_site, capsys) -> None:
    install_foo(fake_site)
    install_foo(fake_site, dist="chanx-layer-foo-fork", ep="layer-foo-fork")
    code, out, err = run(capsys, "--check", "--json")
    assert code == 1
    assert [r["status"] for r in json.loads(out)] == ["loaded", "conflict"]
    assert err.startswith(
        "chanx plugins: 'layer-foo-fork' (chanx-layer-foo-fork 1.2.3) conflicts: "
        "two plugins provide a layer named 'foo'"
    )


def test_strict_mode_failure_is_reported_not_raised(
    fake_site, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_site.add_broken()
    monkeypatch.setenv("CHANX_STRICT_PLUGINS", "1")
    code, out, err = run(capsys)
    assert (code, out) == (1, "")
    assert err.startswith("chanx plugins: chanx plugin 'layer-broken' from chanx-layer-broken")


def test_disabled_autoload_is_mentioned(fake_site, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    install_foo(fake_site)
    monkeypatch.setenv("CHANX_DISABLE_PLUGIN_AUTOLOAD", "1")
    code, out, _ = run(capsys)
    assert code == 0
    assert out.splitlines()[-1] == (
        "Entry-point plugins were not loaded: CHANX_DISABLE_PLUGIN_AUTOLOAD is set."
    )


def test_a_disabled_plugin_is_listed_as_disabled(
    fake_site, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_foo(fake_site)
    monkeypatch.setenv("CHANX_DISABLED_PLUGINS", "layer-foo")
    code, out, _ = run(capsys, "--check")
    assert code == 0
    assert out.splitlines()[1].split() == ["layer-foo", "chanx-layer-foo", "1.2.3", "disabled", "-"]


def test_tracing_prints_kernel_logs_to_stderr(
    fake_site, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_foo(fake_site)
    monkeypatch.setenv("CHANX_TRACE_PLUGINS", "1")
    code, _, err = run(capsys)
    assert code == 0
    assert "chanx.kernel: loaded chanx plugin 'layer-foo' (chanx-layer-foo 1.2.3)" in err
    assert "chanx_register_layers [hook]" in err
