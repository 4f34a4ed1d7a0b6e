"""The consumer's own account pages, under /account/."""

from __future__ import annotations

from django.urls import path

from complaints import portal_views

urlpatterns = [
    path("", portal_views.account, name="portal_account"),
    path("data.json", portal_views.data_export, name="portal_data_export"),
    path("close/", portal_views.close, name="portal_close_account"),
]
