"""``manage.py notify_plain TEXT``: ``group_send`` from a process that serves nothing."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management.base import BaseCommand, CommandParser

from layersite.consumers import PLAIN_GROUP, plain_message


class Command(BaseCommand):
    help = "Send TEXT to the Channels consumers' group."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text")

    def handle(self, *args: Any, **options: Any) -> None:
        layer = get_channel_layer()
        async_to_sync(layer.group_send)(PLAIN_GROUP, plain_message(options["text"], "command"))
