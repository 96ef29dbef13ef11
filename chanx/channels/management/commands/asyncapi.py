"""`python manage.py asyncapi`: `chanx asyncapi` for the project's ASGI application.

The application defaults to `CHANX_ASYNCAPI["APP"]`, else `ASGI_APPLICATION`; the title,
version, description and servers to the `CHANX_ASYNCAPI` setting.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chanx.asyncapi import cli
from chanx.channels.asyncapi import application_target, asyncapi_options


class Command(BaseCommand):  # type: ignore[misc]  # Django ships no type hints
    """Write (or `--check`) the AsyncAPI document of the project's consumers."""

    help = "Write the AsyncAPI 3 document (JSON, YAML or HTML) of the project's consumers."

    def add_arguments(self, parser: CommandParser) -> None:
        """The options of `chanx asyncapi`, with the application optional."""
        cli.add_arguments(parser, app_required=False)
        options = asyncapi_options()
        parser.set_defaults(
            title=options["TITLE"],
            api_version=options["VERSION"],
            description=options["DESCRIPTION"],
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run `chanx asyncapi`; exit with its status when it is not 0."""
        settings_servers = asyncapi_options()["SERVERS"] or {}
        namespace = argparse.Namespace(**options)
        namespace.server = [*(f"{k}={v}" for k, v in settings_servers.items()), *options["server"]]
        namespace.app = options["app"] or application_target()
        status = cli.run(namespace)
        if status:
            sys.exit(status)
