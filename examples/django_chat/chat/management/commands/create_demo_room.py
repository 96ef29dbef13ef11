"""``manage.py create_demo_room``: a user, a room they are a member of, and their API token.

Prints the room's WebSocket URL and the ``Authorization`` header to connect with. Run it
again to get the same user, room and token.
"""

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token

from chat.models import ChatRoom


class Command(BaseCommand):
    help = "Create (or reuse) a user, a room with that user as member, and the user's token."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--username", default="ann")
        parser.add_argument("--room", default="general")

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        user, _ = User.objects.get_or_create(username=options["username"])
        name = options["room"]
        room = ChatRoom.objects.filter(name=name).order_by("pk").first()
        room = room or ChatRoom.objects.create(name=name)
        room.members.add(user)
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"room: /ws/rooms/{room.pk}/")
        self.stdout.write(f"header: Authorization: Token {token.key}")
