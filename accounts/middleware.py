from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from accounts.credentials import CredentialRefused, check_credential, needs_second_factor

# Paths a staff member may reach between the password step and the second factor.
SECOND_FACTOR_EXEMPT_PREFIXES = ("/account/two-factor/", "/accounts/logout/", "/static/", "/api/")


def full_page_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect the browser, replacing the whole page when the request came from htmx."""
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class SessionCredentialMiddleware:
    """A browser session works only while its account may hold a credential now.

    ``check_credential`` decides; a refused session is signed out. (Django's own check of
    ``User.get_session_auth_hash`` already ends sessions issued under an older password or
    credential version.) Staff who have not passed their second factor reach nothing but the
    2FA pages; agents and specialists whose tenant waives it are let through, unless they
    enrolled an authenticator anyway: then they use it like everyone else.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or request.path.startswith("/static/"):
            return self.get_response(request)
        try:
            check_credential(user)  # type: ignore[arg-type]
        except CredentialRefused as refusal:
            logout(request)
            messages.error(request, str(refusal))
            return full_page_redirect(request, resolve_url(settings.LOGIN_URL))
        if (
            user.is_staff_member  # type: ignore[union-attr]
            and not user.is_verified()  # type: ignore[union-attr, attr-defined]
            and not request.path.startswith(SECOND_FACTOR_EXEMPT_PREFIXES)
            and needs_second_factor(user)  # type: ignore[arg-type]
        ):
            name = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
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


class PrivatePagesMiddleware:
    """A page shown to a signed-in person is never stored by the browser or a proxy: Back and
    Forward fetch it anew, so nobody acts on a complaint as it was before a colleague's note
    or their own last change. Responses that set their own caching (downloads, the queue's
    conditional refresh) keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
