"""The `chanx` command line (also `python -m chanx`).

Each subcommand lives in its own module, imported only when that subcommand runs, so
`chanx plugins` never imports the demo's web stack. To add a subcommand, add one entry to
`SUBCOMMANDS` and create its module, which must define:

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        '''Declare the subcommand's options on its own subparser.'''

    def run(args: argparse.Namespace) -> int:
        '''Do the work; return the process exit status.'''

A declared subcommand whose module is missing, or whose dependencies are not installed,
fails with a message saying so (and which extra to install) instead of a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, cast

from chanx import __version__
from chanx.kernel.install import install_hint
from chanx.kernel.records import PluginSettings

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["SUBCOMMANDS", "Subcommand", "main"]


@dataclass(frozen=True, slots=True)
class Subcommand:
    """Where a subcommand lives.

    Attributes:
        module: dotted path of the module defining `add_arguments` and `run`.
        help: one line for `chanx --help`.
        extra: the `chanx[...]` extra that installs its dependencies, if it needs one.
    """

    module: str
    help: str
    extra: str | None = None


SUBCOMMANDS: dict[str, Subcommand] = {
    "plugins": Subcommand("chanx.kernel.cli", "list installed plugins and what they provide"),
    "asyncapi": Subcommand("chanx.asyncapi.cli", "write the AsyncAPI document of your consumers"),
    "client": Subcommand(
        "chanx.asyncapi.client_cli", "generate a typed client (Python, TypeScript, ...)"
    ),
    "demo": Subcommand("chanx.demo.cli", "run the demo chat app", extra="demo"),
}


def main(argv: list[str] | None = None) -> int:
    """Run the `chanx` command line.

    Args:
        argv: the arguments after the program name; `sys.argv[1:]` when omitted.

    Returns:
        The exit status.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="chanx", description="Typed WebSocket consumers: command-line tools."
    )
    parser.add_argument("--version", action="version", version=f"chanx {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    chosen = next((arg for arg in args if not arg.startswith("-")), None)
    runner: Callable[[argparse.Namespace], int] | None = None
    for name, spec in SUBCOMMANDS.items():
        subparser = subparsers.add_parser(name, help=spec.help, description=spec.help)
        if name == chosen:
            module = _load(name, spec)
            if isinstance(module, str):
                print(module, file=sys.stderr)
                return 1
            module.add_arguments(subparser)
            runner = cast("Callable[[argparse.Namespace], int]", module.run)
    try:
        namespace = parser.parse_args(args)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    if runner is None:
        parser.print_help(sys.stderr)
        return 2
    with _trace_to_stderr(PluginSettings.from_env().trace):
        return int(runner(namespace))


def _load(name: str, spec: Subcommand) -> ModuleType | str:
    """Import a subcommand's module, or return the message explaining why it cannot run."""
    try:
        module = importlib.import_module(spec.module)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if missing and (spec.module == missing or spec.module.startswith(f"{missing}.")):
            return (
                f"chanx {name}: this command is not available in this installation "
                f"(module {spec.module} is missing)."
            )
        install = install_hint(spec.extra) if spec.extra else f"pip install {missing}"
        return (
            f"chanx {name}: needs {missing!r}, which is not installed. Install it with {install}."
        )
    except ImportError as exc:
        return f"chanx {name}: cannot import {spec.module}: {exc}"
    if not callable(getattr(module, "add_arguments", None)) or not callable(
        getattr(module, "run", None)
    ):
        return f"chanx {name}: {spec.module} must define add_arguments(parser) and run(args)."
    return module


@contextlib.contextmanager
def _trace_to_stderr(enabled: bool) -> Iterator[None]:
    """While a command runs with CHANX_TRACE_PLUGINS set, print `chanx.kernel` logs to stderr."""
    if not enabled:
        yield
        return
    logger = logging.getLogger("chanx.kernel")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
