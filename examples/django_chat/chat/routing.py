"""WebSocket routes of the chat example."""

from chanx.channels.routing import URLRouter, path

from .consumers import AnnouncementConsumer, NotificationConsumer, RoomChatConsumer

websocket_urlpatterns = [
    path("ws/rooms/<int:pk>/", RoomChatConsumer.as_asgi()),
    path("ws/announcements/", AnnouncementConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]

router = URLRouter(websocket_urlpatterns)
