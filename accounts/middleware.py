from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from accounts.predicates import second_factor_required

# Paths a staff member may reach between the password step and the second factor.
SECOND_FACTOR_EXEMPT_PREFIXES = ("/account/two-factor/", "/accounts/logout/", "/static/", "/api/")


def full_page_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect the browser, replacing the whole page when the request came from htmx."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class StaffTwoFactorMiddleware:
    """Staff who have not passed their second factor reach nothing but the 2FA pages.

    Agents and specialists whose tenant waives the second factor are let through, unless they
    enrolled an authenticator anyway: then they use it like everyone else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff_member  # type: ignore[union-attr]
            and not user.is_verified()  # type: ignore[union-attr, attr-defined]
            and not request.path.startswith(SECOND_FACTOR_EXEMPT_PREFIXES)
        ):
            has_device = user_has_device(user)
            if not has_device and not second_factor_required(user):
                return self.get_response(request)
            name = "two_factor_verify" if has_device else "two_factor_setup"
            target = f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}"
            return full_page_redirect(request, target)
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """When a session expires, an htmx request sends the whole page to the login form."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "htmx", False) and response.status_code in (301, 302):
            location = response.get("Location", "")
            if location.startswith(resolve_url(settings.LOGIN_URL)):
                return HttpResponseClientRedirect(location)
        return response
