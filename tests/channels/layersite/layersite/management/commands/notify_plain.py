"""``manage.py notify_plain TEXT [--via-worker]``: from a process that serves nothing,
``group_send`` to the consumers' group, or ``send`` a job to the ``runworker`` channel."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand, CommandParser

from layersite.consumers import JOBS_CHANNEL, PLAIN_GROUP, plain_message


class Command(BaseCommand):
    help = "Send TEXT to the Channels consumers' group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text")
        parser.add_argument("--via-worker", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        layer = get_channel_layer()
        if options["via_worker"]:
            async_to_sync(layer.send)(JOBS_CHANNEL, {"type": "job.run", "text": options["text"]})
        else:
            message = plain_message(options["text"], "command")
            async_to_sync(layer.group_send)(PLAIN_GROUP, message)
