"""``manage.py poke_room COUNT CHANNEL``: COUNT room events and one direct event, then exit."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from django_sender.consumers import Poke, Room


class Command(BaseCommand):
    help = "Broadcast COUNT poke events to the room and send one to CHANNEL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("count", type=int)
        parser.add_argument("channel")

    def handle(self, *args: Any, count: int, channel: str, **options: Any) -> None:
        for n in range(count):
            Room.broadcast_event_sync(Poke(payload=f"django-{n}"))
        Room.send_event_sync(Poke(payload="django-direct"), channel)
        self.stdout.write("sent")
