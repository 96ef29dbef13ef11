"""The `chanx` command line: dispatch to lazily imported subcommand modules."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chanx
from chanx import cli
from chanx.cli import SUBCOMMANDS, Subcommand, main
from chanx.kernel import reset_plugin_host
from chanx.kernel.install import install_hint

HELLO = """
import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", default="world")


def run(args: argparse.Namespace) -> int:
    print(f"hello {args.name}")
    return 3
"""


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch):
    for name in ("CHANX_DISABLE_PLUGIN_AUTOLOAD", "CHANX_DISABLED_PLUGINS", "CHANX_STRICT_PLUGINS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("CHANX_TRACE_PLUGINS", raising=False)
    reset_plugin_host()
    yield
    reset_plugin_host()


@pytest.fixture
def commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Declare extra subcommands whose modules are written to a temporary directory."""
    written: list[str] = []
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(SUBCOMMANDS))

    def declare(name: str, module: str, source: str | None, extra: str | None = None) -> None:
        if source is not None:
            (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
            written.append(module)
        cli.SUBCOMMANDS[name] = Subcommand(module, f"the {name} command", extra)

    yield declare
    for module in written:
        sys.modules.pop(module, None)


def test_without_a_command_it_prints_help_listing_every_command(capsys) -> None:
    assert main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: chanx [-h] [--version] COMMAND ...")
    for name, spec in SUBCOMMANDS.items():
        assert f"{name}" in err
        assert spec.help in err


def test_version(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"chanx {chanx.__version__}\n"


def test_an_unknown_command_is_a_usage_error(capsys) -> None:
    assert main(["plugin"]) == 2
    assert "invalid choice: 'plugin'" in capsys.readouterr().err


def test_the_planned_commands_are_declared_with_their_modules() -> None:
    assert SUBCOMMANDS["plugins"] == Subcommand(
        "chanx.kernel.cli", "list installed plugins and what they provide"
    )
    assert SUBCOMMANDS["demo"].module == "chanx.demo.cli"
    assert SUBCOMMANDS["demo"].extra == "demo"
    assert SUBCOMMANDS["asyncapi"].module == "chanx.asyncapi.cli"


def test_a_subcommand_module_gets_its_own_options_and_sets_the_exit_status(
    commands, capsys
) -> None:
    commands("hello", "chanx_test_hello_cmd", HELLO)
    commands("other", "chanx_test_other_cmd", HELLO)
    assert main(["hello", "--name", "chanx"]) == 3
    assert capsys.readouterr().out == "hello chanx\n"
    assert "chanx_test_other_cmd" not in sys.modules


def test_subcommand_help_shows_its_options(commands, capsys) -> None:
    commands("hello", "chanx_test_hello_cmd", HELLO)
    assert main(["hello", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chanx hello [-h] [--name NAME]")
    assert "the hello command" in out


def test_a_declared_command_whose_module_is_missing_says_so(commands, capsys) -> None:
    commands("ghost", "chanx_test_ghost_cmd", None)
    assert main(["ghost"]) == 1
    assert capsys.readouterr().err == (
        "chanx ghost: this command is not available in this installation "
        "(module chanx_test_ghost_cmd is missing).\n"
    )


def test_a_command_whose_dependency_is_missing_names_the_extra(commands, capsys) -> None:
    commands("needy", "chanx_test_needy_cmd", "import chanx_test_absent_dependency\n", "demo")
    assert main(["needy"]) == 1
    assert capsys.readouterr().err == (
        "chanx needy: needs 'chanx_test_absent_dependency', which is not installed. "
        f"Install it with {install_hint('demo')}.\n"
    )


def test_a_command_that_fails_to_import_reports_the_error(commands, capsys) -> None:
    commands("odd", "chanx_test_odd_cmd", "raise ImportError('cannot import name X')\n")
    assert main(["odd"]) == 1
    assert capsys.readouterr().err == (
        "chanx odd: cannot import chanx_test_odd_cmd: cannot import name X\n"
    )


def test_a_command_module_without_run_is_rejected(commands, capsys) -> None:
    commands("half", "chanx_test_half_cmd", "def add_arguments(parser):\n    pass\n")
    assert main(["half"]) == 1
    assert capsys.readouterr().err == (
        "chanx half: chanx_test_half_cmd must define add_arguments(parser) and run(args).\n"
    )


def test_main_reads_sys_argv_by_default(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys, "argv", ["chanx", "--version"])
    assert main() == 0
    assert capsys.readouterr().out == f"chanx {chanx.__version__}\n"


def test_python_dash_m_chanx_runs_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chanx", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout) == (0, f"chanx {chanx.__version__}\n")
