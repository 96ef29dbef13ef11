"""`chanx asyncapi MODULE:APP`: write the documentation of an application's consumers.

```
chanx asyncapi myproject.asgi:app                      # AsyncAPI 3 JSON on stdout
chanx asyncapi myproject.asgi:app --format yaml -o asyncapi.yaml
chanx asyncapi myproject.asgi:app --format html -o docs/api.html
chanx asyncapi myproject.asgi:app -o asyncapi.json --check   # CI: exit 1 if out of date
```

`--format` takes `json`, `yaml`, `html`, or the name of any registered doc emitter (a
plugin's included; `chanx plugins` lists them).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path
from typing import Any

from chanx.kernel.errors import ComponentNotFoundError

__all__ = ["ALIASES", "add_arguments", "load_app", "mounted_options", "run"]

ALIASES: dict[str, str] = {"json": "asyncapi-json", "yaml": "asyncapi-yaml", "html": "html"}
"""Short `--format` names -> doc emitter names."""


def add_arguments(parser: argparse.ArgumentParser, *, app_required: bool = True) -> None:
    """Declare the options of `chanx asyncapi`.

    Args:
        parser: The subcommand's parser.
        app_required: Whether `MODULE:APP` must be given (Django's command has a default).
    """
    parser.add_argument(
        "app",
        metavar="MODULE:APP",
        nargs=None if app_required else "?",
        default=None,
        help="the ASGI application, e.g. app.main:app",
    )
    parser.add_argument(
        "--format",
        "-f",
        default="json",
        help="json (default), yaml, html, or a registered doc emitter name",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write: exit 1 if FILE differs from what would be written",
    )
    mounted = "; default: what the app passed to mount_asyncapi(), else %s"
    parser.add_argument("--title", default=None, help="title of the API" + mounted % "chanx API")
    parser.add_argument(
        "--api-version", default=None, help="version of the API" + mounted % "1.0.0"
    )
    parser.add_argument(
        "--description", default=None, help="description of the API" + mounted % "none"
    )
    parser.add_argument(
        "--server",
        action="append",
        default=[],
        metavar="NAME=URL",
        help="a server to list (repeatable); default: local=ws://localhost:8000",
    )


def load_app(target: str) -> Any:
    """Import `MODULE:ATTR` (the current directory is importable, as with uvicorn).

    Raises:
        ValueError: `target` is not `MODULE:ATTR`, or the attribute does not exist.
    """
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"{target!r}: expected MODULE:APP, e.g. myproject.asgi:app")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    value: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        if not hasattr(value, part):
            raise ValueError(f"{target!r}: module {module_name!r} has no attribute {attribute!r}")
        value = getattr(value, part)
    return value


def mounted_options(app: Any) -> dict[str, Any]:
    """The options `mount_asyncapi()` was given on `app`, or {} when it has no docs routes."""
    router = getattr(app, "router", app)
    for route in getattr(router, "routes", None) or ():
        options = getattr(route, "chanx_asyncapi_options", None)
        if isinstance(options, dict):
            return options
    return {}


def run(args: argparse.Namespace) -> int:
    """Build the documentation and write or check it; return the exit status."""
    from chanx.asyncapi import build_api_model, get_emitter

    if args.check and not args.output:
        print("chanx asyncapi: --check needs -o FILE (the file to compare).", file=sys.stderr)
        return 2
    servers: dict[str, str] = {}
    for item in args.server:
        name, sep, url = item.partition("=")
        if not sep or not name or not url:
            print(f"chanx asyncapi: --server {item!r}: expected NAME=URL.", file=sys.stderr)
            return 2
        servers[name] = url
    try:
        emitter = get_emitter(ALIASES.get(args.format) or str(args.format))
        app = load_app(args.app)
    except (ComponentNotFoundError, ValueError, ImportError) as exc:
        print(f"chanx asyncapi: {exc}", file=sys.stderr)
        return 2
    mounted = mounted_options(app)
    model = build_api_model(
        app,
        title=args.title or mounted.get("title") or "chanx API",
        version=args.api_version or mounted.get("version") or "1.0.0",
        description=args.description or mounted.get("description"),
        servers=servers or mounted.get("servers") or None,
    )
    if not model.channels:
        print(f"chanx asyncapi: warning: {args.app} routes no chanx consumer.", file=sys.stderr)
    document = emitter.emit(model)
    data = document.encode("utf-8") if isinstance(document, str) else document
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    path = Path(args.output)
    if args.check:
        current = path.read_bytes() if path.exists() else None
        if current == data:
            return 0
        state = "is missing" if current is None else "is out of date"
        print(
            f"chanx asyncapi: {path} {state}; regenerate it with: chanx asyncapi {args.app} "
            f"--format {args.format} -o {path}",
            file=sys.stderr,
        )
        return 1
    path.write_bytes(data)
    return 0
