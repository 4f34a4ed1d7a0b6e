"""The platform console, served on the bare base domain to platform operators."""

from __future__ import annotations

from django.urls import path

from operations import views

urlpatterns = [
    path("", views.tenant_list, name="tenant_list"),
    path("tenants/new/", views.tenant_create, name="tenant_create"),
    path("tenants/new/<uuid:job_id>/", views.provisioning_job, name="provisioning_job"),
    path(
        "tenants/<slug:slug>/suspend/",
        views.tenant_set_status,
        {"status": "suspended"},
        name="tenant_suspend",
    ),
    path(
        "tenants/<slug:slug>/resume/",
        views.tenant_set_status,
        {"status": "active"},
        name="tenant_resume",
    ),
]
