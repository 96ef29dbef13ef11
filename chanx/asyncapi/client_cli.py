"""`chanx client`: generate a typed client library for an application's consumers.

```
chanx client myproject.asgi:app --lang python -o clients/          # a package per run
chanx client myproject.asgi:app --lang typescript -o web/src/api/
chanx client --from asyncapi.json --lang python -o clients/        # from a document (or URL)
chanx client myproject.asgi:app --lang python -o clients/ --check  # CI: exit 1 if stale
```

`--lang NAME` selects the doc emitter registered as `NAME-client` (`python-client` and
`typescript-client` are chanx's; a plugin adds others, e.g. `kotlin-client`). Output is
deterministic; re-running updates the directory in place (see `write_files`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from chanx.kernel.errors import ComponentNotFoundError

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of `chanx client` (`run` wants `MODULE:APP` or `--from`).

    Args:
        parser: The subcommand's parser.
    """
    parser.add_argument(
        "app", metavar="MODULE:APP", nargs="?", default=None, help="the ASGI application"
    )
    parser.add_argument(
        "--from",
        dest="source",
        metavar="FILE|URL",
        help="generate from an AsyncAPI 3 document instead of an application",
    )
    parser.add_argument(
        "--lang", "-l", required=True, help="python, typescript, or NAME of a NAME-client emitter"
    )
    parser.add_argument("-o", "--output", metavar="DIR", required=True, help="output directory")
    parser.add_argument(
        "--package", default=None, help="name of the generated package (default: from the title)"
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write: exit 1 if DIR is not up to date"
    )
    parser.add_argument("--title", default="chanx API", help="title of the API")
    parser.add_argument("--api-version", default="1.0.0", help="version of the API")
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a server to list (repeatable); default: local=ws://localhost:8000",
    )


def run(args: argparse.Namespace) -> int:
    """Generate the client and write (or check) it; return the exit status."""
    from chanx.asyncapi import build_api_model, get_emitter
    from chanx.asyncapi.cli import load_app
    from chanx.asyncapi.clients import ClientEmitter, write_files
    from chanx.asyncapi.load import model_from_asyncapi, read_document

    if (args.app is None) == (args.source is None):
        return _fail("give MODULE:APP or --from FILE|URL (one of them).")
    servers: dict[str, str] = {}
    for item in args.server:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            return _fail(f"--server {item!r}: expected NAME=URL.")
        servers[name] = url
    try:
        emitter: Any = get_emitter(f"{args.lang}-client")
        if not isinstance(emitter, ClientEmitter):
            return _fail(f"the {args.lang}-client emitter does not generate client files.")
        if args.source is not None:
            model = model_from_asyncapi(read_document(args.source))
        else:
            model = build_api_model(
                load_app(args.app),
                title=args.title,
                version=args.api_version,
                servers=servers or None,
            )
        files = emitter.files(model, package=args.package)
    except (ComponentNotFoundError, ValueError, ImportError, OSError) as exc:
        return _fail(str(exc))
    if not model.channels:
        print("chanx client: warning: no channel to generate a client for.", file=sys.stderr)
    directory = Path(args.output)
    if args.check:
        stale = sorted(
            path
            for path, text in files.items()
            if not (directory / path).is_file()
            or (directory / path).read_text(encoding="utf-8") != text
        )
        if stale:
            print(f"chanx client: {directory} is out of date: {', '.join(stale)}", file=sys.stderr)
            return 1
        return 0
    result = write_files(directory, files)
    print(
        f"chanx client: {len(result.written)} written, {len(result.unchanged)} unchanged, "
        f"{len(result.removed)} removed in {directory}",
        file=sys.stderr,
    )
    return 0


def _fail(message: str) -> int:
    print(f"chanx client: {message}", file=sys.stderr)
    return 2
