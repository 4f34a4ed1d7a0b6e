from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from accounts.api import (
    CredentialListView,
    CredentialRevokeView,
    TokenObtainView,
    TokenRefreshView,
)
from complaints.api.urls import urlpatterns as complaint_urls
from integrations.api import (
    ApiClientDetailView,
    ApiClientListView,
    ClientTokenView,
    WebhookDeliveryListView,
    WebhookDetailView,
    WebhookListView,
    WebhookRedeliverView,
)
from organisation.api import urlpatterns as organisation_urls
from reports.api import urlpatterns as report_urls

urlpatterns = [
    # Every URL is named, so the isolation suite can list them all.
    path("auth/token/", TokenObtainView.as_view(), name="api_token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="api_token_refresh"),
    path("auth/client-token/", ClientTokenView.as_view(), name="api_client_token"),
    path("auth/credentials/", CredentialListView.as_view(), name="api_credentials"),
    path(
        "auth/credentials/<slug:kind>/<int:pk>/",
        CredentialRevokeView.as_view(),
        name="api_credential_revoke",
    ),
    path("integrations/api-clients/", ApiClientListView.as_view(), name="api_clients"),
    path(
        "integrations/api-clients/<slug:client_id>/",
        ApiClientDetailView.as_view(),
        name="api_client_detail",
    ),
    path("integrations/webhooks/", WebhookListView.as_view(), name="api_webhooks"),
    path("integrations/webhooks/<int:pk>/", WebhookDetailView.as_view(), name="api_webhook_detail"),
    path(
        "integrations/webhooks/<int:pk>/deliveries/",
        WebhookDeliveryListView.as_view(),
        name="api_webhook_deliveries",
    ),
    path(
        "integrations/webhooks/<int:pk>/deliveries/<uuid:delivery_id>/redeliver/",
        WebhookRedeliverView.as_view(),
        name="api_webhook_redeliver",
    ),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api_schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="api_schema", authentication_classes=[], permission_classes=[AllowAny]
        ),
        name="api_docs",
    ),
    *complaint_urls,
    *organisation_urls,
    *report_urls,
]
