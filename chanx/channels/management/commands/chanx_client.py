"""`python manage.py chanx_client`: `chanx client` for the project's ASGI application.

The application defaults to `CHANX_ASYNCAPI["APP"]`, else `ASGI_APPLICATION`; the title,
version and servers to the `CHANX_ASYNCAPI` setting, as for `manage.py asyncapi`.

```
python manage.py chanx_client --lang python -o clients/
python manage.py chanx_client --lang typescript -o frontend/src/api/ --check
```
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chanx.asyncapi import client_cli
from chanx.channels.asyncapi import application_target, asyncapi_options


class Command(BaseCommand):  # type: ignore[misc]  # Django ships no type hints
    """Generate (or `--check`) a typed client of the project's consumers."""

    help = "Generate a typed client (Python, TypeScript, ...) of the project's consumers."

    def add_arguments(self, parser: CommandParser) -> None:
        """The options of `chanx client`; the application defaults to the project's."""
        client_cli.add_arguments(parser)
        options = asyncapi_options()
        parser.set_defaults(title=options["TITLE"], api_version=options["VERSION"])

    def handle(self, *args: Any, **options: Any) -> None:
        """Run `chanx client`; exit with its status when it is not 0."""
        settings_servers = asyncapi_options()["SERVERS"] or {}
        namespace = argparse.Namespace(**options)
        namespace.server = [*(f"{k}={v}" for k, v in settings_servers.items()), *options["server"]]
        if options["source"] is None:
            namespace.app = options["app"] or application_target()
        status = client_cli.run(namespace)
        if status:
            sys.exit(status)
