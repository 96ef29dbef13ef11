from django.urls import path

from layersite import views

urlpatterns = [path("notify/", views.notify), path("notice/", views.notice)]
