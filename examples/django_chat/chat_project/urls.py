"""HTTP routes: post an announcement or a news item from a plain sync Django view."""

from chat import views
from django.urls import path

urlpatterns = [
    path("posts/", views.create_post),
    path("rooms/<int:pk>/notify/", views.notify_room),
]
