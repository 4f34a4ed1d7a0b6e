from __future__ import annotations

from django.urls import path

from integrations import views

urlpatterns = [
    path("api-clients/", views.api_clients, name="settings_api_clients"),
    path(
        "api-clients/<int:pk>/revoke/", views.api_client_revoke, name="settings_api_client_revoke"
    ),
    path("webhooks/", views.webhooks, name="settings_webhooks"),
    path("webhooks/<int:pk>/", views.webhook, name="settings_webhook"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery>/redeliver/",
        views.webhook_redeliver,
        name="settings_webhook_redeliver",
    ),
    path("webhooks/<int:pk>/<slug:action>/", views.webhook_action, name="settings_webhook_action"),
]
