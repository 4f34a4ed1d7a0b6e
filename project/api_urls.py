from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import TokenRefreshView

from accounts.api import TenantTokenRefreshSerializer, TokenObtainView
from complaints.api import ComplaintViewSet

router = SimpleRouter()
router.register("complaints", ComplaintViewSet, basename="complaint")

urlpatterns = [
    # Every URL is named, so the isolation suite can list them all.
    path("auth/token/", TokenObtainView.as_view(), name="api_token"),
    path(
        "auth/token/refresh/",
        TokenRefreshView.as_view(serializer_class=TenantTokenRefreshSerializer),
        name="api_token_refresh",
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
    *router.urls,
]
