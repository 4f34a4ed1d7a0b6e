"""URLs of the bare base domain: the platform console for operators."""

from __future__ import annotations

from django.urls import include, path

from accounts import views as account_views
from tenancy import views

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("account/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("", views.tenant_list, name="tenant_list"),
    path("tenants/new/", views.tenant_create, name="tenant_create"),
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
