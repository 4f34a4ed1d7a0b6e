"""URLs of the bare base domain: sign-in for operators and the platform console."""

from __future__ import annotations

from django.urls import include, path

from accounts import views as account_views

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("account/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("", include("operations.urls")),
]
