"""The console's notifications, under /console/notifications/."""

from __future__ import annotations

from django.urls import path

from notifications import views

urlpatterns = [
    path("", views.notification_list, name="notification_list"),
    path("badge/", views.unread_badge, name="notification_badge"),
    path("read/", views.read_all, name="notifications_read_all"),
    path("<int:pk>/read/", views.read_one, name="notification_read"),
]
