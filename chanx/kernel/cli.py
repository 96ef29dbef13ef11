"""`chanx plugins`: which plugins are installed, what each provides, and which are broken."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from chanx.kernel.errors import PluginError
from chanx.kernel.host import get_plugin_host
from chanx.kernel.records import PROBLEM_STATUSES

if TYPE_CHECKING:
    import argparse

    from chanx.kernel.records import PluginRecord

__all__ = ["add_arguments", "format_table", "run"]

HEADERS = ("NAME", "DISTRIBUTION", "VERSION", "STATUS", "PROVIDES")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `chanx plugins`."""
    parser.add_argument("--all", action="store_true", help="include the builtin plugins")
    parser.add_argument("--json", action="store_true", help="print the records as JSON")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit with status 1 if any plugin is broken or conflicting",
    )


def run(args: argparse.Namespace) -> int:
    """List the plugins; with `--check`, fail when one is broken or conflicting.

    Returns:
        0, or 1 when the host cannot be built (strict mode) or `--check` finds a problem.
    """
    from chanx.builtin import BUILTIN_PLUGINS

    try:
        host = get_plugin_host()
    except PluginError as exc:
        print(f"chanx plugins: {exc}", file=sys.stderr)
        return 1
    records = [
        record
        for record in host.plugins
        if args.all or record.name not in BUILTIN_PLUGINS or record.status in PROBLEM_STATUSES
    ]
    if args.json:
        print(json.dumps([record.to_dict() for record in records], indent=2))
    elif records:
        print(format_table(records))
    else:
        print("No external chanx plugins are installed. `chanx plugins --all` shows builtins.")
    if not host.settings.autoload and not args.json:
        print("Entry-point plugins were not loaded: CHANX_DISABLE_PLUGIN_AUTOLOAD is set.")
    if args.check:
        problems = [record for record in host.plugins if record.status in PROBLEM_STATUSES]
        for record in problems:
            verb = "conflicts" if record.status == "conflict" else "is broken"
            print(f"chanx plugins: {record.label} {verb}: {record.error}", file=sys.stderr)
        return 1 if problems else 0
    return 0


def format_table(records: list[PluginRecord]) -> str:
    """Render records as an aligned text table, followed by the error of each failed plugin."""
    rows = [
        (
            record.name,
            record.distribution or "-",
            record.version or "-",
            record.status,
            "; ".join(f"{kind}: {', '.join(names)}" for kind, names in record.provides.items())
            or "-",
        )
        for record in records
    ]
    widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in [HEADERS, *rows]
    ]
    lines += [f"{record.name}: {record.error}" for record in records if record.error]
    return "\n".join(line.rstrip() for line in lines)
