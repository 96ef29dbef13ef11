"""Sync Django views that use the channel layer, as a project's views do."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpRequest, JsonResponse

from layersite.consumers import PLAIN_GROUP, Notice, Room, plain_message


def notify(request: HttpRequest) -> JsonResponse:
    """``group_send`` to Channels' consumers; reports the layer's class and extensions."""
    layer = get_channel_layer()
    async_to_sync(layer.group_send)(PLAIN_GROUP, plain_message(request.GET["text"], "view"))
    backend = f"{type(layer).__module__}.{type(layer).__name__}"
    return JsonResponse({"backend": backend, "extensions": list(layer.extensions)})


def notice(request: HttpRequest) -> JsonResponse:
    """A chanx event to the chanx room, through its sync twin."""
    Room.broadcast_event_sync(Notice(payload=request.GET["text"]))
    return JsonResponse({"sent": True})
