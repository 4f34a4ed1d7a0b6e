from __future__ import annotations

from django.urls import path

from reports import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.dashboard_csv, name="dashboard_csv"),
    path("return/", views.regulatory_return, name="regulatory_return"),
    path("return/<slug:table>.csv", views.regulatory_return_csv, name="regulatory_return_csv"),
]
