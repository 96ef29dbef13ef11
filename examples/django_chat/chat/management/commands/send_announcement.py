"""``manage.py send_announcement "text"``: broadcast a system announcement."""

from django.core.management.base import BaseCommand

from chat.consumers import AnnouncementConsumer
from chat.messages import SystemAnnouncementEvent


class Command(BaseCommand):
    help = "Send a system announcement to every connected user."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("message", type=str)

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        AnnouncementConsumer.broadcast_event_sync(
            SystemAnnouncementEvent(payload=options["message"]),
            groups=["all_users"],
        )
