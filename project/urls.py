"""URLs of a tenant's site: consumer portal, agent console and the JSON API."""

from __future__ import annotations

from django.urls import include, path

from accounts import views as account_views
from organisation.views import branding_logo

urlpatterns = [
    path("accounts/", include("accounts.urls")),
    path("account/two-factor/setup/", account_views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/", account_views.two_factor_verify, name="two_factor_verify"),
    path("account/sessions/", account_views.sessions_and_devices, name="account_sessions"),
    path("account/", include("complaints.portal_urls")),
    path(
        "invitations/<str:token>/", account_views.accept_invitation_view, name="accept_invitation"
    ),
    path("branding/logo/", branding_logo, name="branding_logo"),
    path("settings/integrations/", include("integrations.urls")),
    path("settings/", include("organisation.urls")),
    path("api/v1/", include("project.api_urls")),
    path("dashboard/", include("reports.urls")),
    path("console/notifications/", include("notifications.urls")),
    path("", include("complaints.urls")),
]
