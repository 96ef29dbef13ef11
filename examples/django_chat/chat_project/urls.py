"""HTTP routes: post an announcement or a news item from a plain sync Django view, and the
AsyncAPI documentation of the WebSocket API at /asyncapi/ (served while DEBUG is on)."""

from chat import views
from django.urls import include, path

urlpatterns = [
    path("posts/", views.create_post),
    path("rooms/<int:pk>/notify/", views.notify_room),
    path("asyncapi/", include("chanx.channels.asyncapi_urls")),
]
