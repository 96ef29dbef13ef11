"""Plain synchronous Django views that push events to WebSocket consumers."""

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .consumers import NotificationConsumer, RoomChatConsumer
from .messages import NewPostEvent, UserJoinedEvent, UserPayload


@csrf_exempt
@require_POST
def create_post(request: HttpRequest) -> JsonResponse:
    """Announce a new post to everyone on the news feed."""
    data = json.loads(request.body or b"{}")
    post = {"post_id": data.get("id", 1), "title": data.get("title", "untitled")}
    # Send event to WebSocket consumers
    NotificationConsumer.broadcast_event_sync(NewPostEvent(payload=post), groups=["news_feed"])
    return JsonResponse({"status": "created"})


@csrf_exempt
@require_POST
def notify_room(request: HttpRequest, pk: int) -> JsonResponse:
    """Tell a room that a user joined (a `BaseChannelEvent` routed on `handler`)."""
    username = json.loads(request.body or b"{}").get("username", "someone")
    RoomChatConsumer.broadcast_event_sync(
        UserJoinedEvent(payload=UserPayload(username=username)), groups=[f"room_{pk}"]
    )
    return JsonResponse({"status": "sent"})
