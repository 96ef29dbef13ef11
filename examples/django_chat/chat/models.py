"""Chat rooms; membership decides who may join a room's socket."""

from django.conf import settings
from django.db import models


class ChatRoom(models.Model):
    """A room; only its members may connect to it."""

    name = models.CharField(max_length=100)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="rooms", blank=True)

    def __str__(self) -> str:
        return self.name
