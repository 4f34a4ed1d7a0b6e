"""allauth's pages. Sign-up runs in one transaction, so the new account and its
confirmation e-mail (an outbox row) commit together or not at all."""

from __future__ import annotations

from allauth.account.views import signup
from django.db import transaction
from django.urls import include, path

urlpatterns = [
    path("signup/", transaction.atomic(signup), name="account_signup"),
    path("", include("allauth.urls")),
]
