from __future__ import annotations

import inspect
from collections.abc import Callable
from contextlib import suppress
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

from accounts.credentials import CredentialRefused, check_credential, second_factor_pending
from accounts.sessions import row_by_key
from tenancy.models import is_on_current_host

# Paths a staff member may reach between the password step and the second factor.
SECOND_FACTOR_EXEMPT_PREFIXES = ("/account/two-factor/", "/accounts/logout/", "/static/", "/api/")


class SecondFactorMiddleware(OTPMiddleware):
    """django-otp's middleware (``request.user.otp_device``, ``is_verified()``), reading the
    device the session names with one statement composed once (``accounts.sessions``) instead
    of the ORM's, on every signed-in request. The device must still exist, belong to the
    person and be confirmed (django-otp's own checks, unchanged)."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        persistent_id = self._normalize_persistent_id(persistent_id)
        with suppress(ValueError, LookupError, TypeError):
            label, device_id = persistent_id.rsplit("/", 1)
            model = apps.get_model(label)
            if issubclass(model, Device):
                return row_by_key(model, "pk", int(device_id))
        return None


# Session key of the text posted to an action while the person was signed out: the action's
# path and the kept fields, taken up by the page the action belongs to after sign-in.
UNSENT_POSTS = "unsent_posts"
UNSENT_MAX_CHARACTERS = 20_000
View = Callable[..., HttpResponseBase]


def returns_to(
    page: Callable[..., str], *, keeps: tuple[str, ...] = (), quiet: bool = False
) -> Callable[[View], View]:
    """Mark a POST-only view with the page (a function of the URL's keyword arguments) a
    person returns to when the POST arrives without a valid session, and the posted fields
    (``keeps``) worth keeping in the session until they are back. A ``quiet`` view (a
    background save while the person types) is answered 204 instead of sending the page to
    sign-in when it comes from htmx: the person is not interrupted, and their next real action
    signs them in."""

    def decorator(view: View) -> View:
        view.returns_to = page  # type: ignore[attr-defined]
        view.keeps_unsent = keeps  # type: ignore[attr-defined]
        view.quiet_when_signed_out = quiet  # type: ignore[attr-defined]
        return view

    return decorator


# Links that work once, or only with the token they carry, and the sign-in pages themselves:
# never a page to come back to after signing in.
ONE_TIME_LINKS = frozenset(
    {
        "account_confirm_email",
        "account_reset_password_from_key",
        "accept_invitation",
        "account_login",
        "account_logout",
        "account_signup",
        "two_factor_verify",
        "two_factor_setup",
    }
)


def answers_get(view: Callable[..., object]) -> bool:
    """Whether ``view`` shows a page on GET: not a ``returns_to`` action, not wrapped in
    ``require_POST`` (or ``require_http_methods`` without GET), not a class without ``get``."""
    if getattr(view, "returns_to", None) is not None:
        return False
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "get")
    layer: object = view
    while inspect.isfunction(layer):
        methods = inspect.getclosurevars(layer).nonlocals.get("request_method_list")
        if methods is not None and "GET" not in methods:
            return False
        layer = getattr(layer, "__wrapped__", None)
    return True


def page_to_return_to(request: HttpRequest, url: str) -> str | None:
    """``url`` when it is a page of this tenant a person can come back to after signing in:
    on the tenant's own host, a page that answers GET, and not a one-time link (e-mail
    confirmation, password reset, invitation) or a sign-in step; otherwise None."""
    if not url.startswith(("/", "http://", "https://")) or not is_on_current_host(url):
        return None
    try:
        match = resolve(urlsplit(url).path, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    if match.url_name in ONE_TIME_LINKS or not answers_get(match.func):
        return None
    return url


def page_after_sign_in(request: HttpRequest) -> str | None:
    """Where sign-in (and the second factor) should take the person afterwards.

    A GET returns to itself. Another method returns to its view's ``returns_to`` page (a GET
    page), else to the page of this site the form was sent from (``Referer``), else to its
    own address (a view that also answers GET). Whichever it is must be a page to return to
    (``page_to_return_to``): a used confirmation link or a POST-only action is not, and
    then sign-in leads home. A POST also leaves the fields its view ``keeps`` in the session.
    """
    if request.method in ("GET", "HEAD"):
        return page_to_return_to(request, request.get_full_path())
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    page = getattr(match.func, "returns_to", None)
    if page is None:
        referer = urlsplit(request.headers.get("Referer", ""))
        if referer.path and url_has_allowed_host_and_scheme(
            request.headers["Referer"], allowed_hosts={request.get_host()}
        ):
            sent_from = f"{referer.path}?{referer.query}" if referer.query else referer.path
            return page_to_return_to(request, sent_from)
        return page_to_return_to(request, request.get_full_path())
    kept = {
        name: request.POST.get(name, "")[:UNSENT_MAX_CHARACTERS]
        for name in getattr(match.func, "keeps_unsent", ())
        if request.POST.get(name, "").strip()
    }
    if kept:
        unsent = dict(request.session.get(UNSENT_POSTS) or {})
        unsent[request.path] = kept
        request.session[UNSENT_POSTS] = unsent
    return page_to_return_to(request, str(page(**match.kwargs)))


def sign_in_url(request: HttpRequest, name: str | None = None) -> str:
    """The sign-in (or second-factor) page, with ``next`` only when it is a page to return to."""
    url = reverse(name) if name else resolve_url(settings.LOGIN_URL)
    page = page_after_sign_in(request)
    return f"{url}?{urlencode({'next': page})}" if page else url


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
        if not request.path.startswith(SECOND_FACTOR_EXEMPT_PREFIXES) and second_factor_pending(
            user
        ):
            name = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
            return full_page_redirect(request, sign_in_url(request, name))
        return self.get_response(request)


class HtmxLoginRedirectMiddleware:
    """When a session expires, an htmx request sends the whole page to the login form; a
    POST's ``next`` becomes the page it was sent from (``page_after_sign_in``), never the
    POST-only action itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code not in (301, 302):
            return response
        location = response.get("Location", "")
        if not location.startswith(resolve_url(settings.LOGIN_URL)):
            return response
        if request.method not in ("GET", "HEAD"):
            location = sign_in_url(request)
            match = request.resolver_match
            quiet = match is not None and getattr(match.func, "quiet_when_signed_out", False)
            if quiet and getattr(request, "htmx", False):
                return HttpResponse(status=204)
        return full_page_redirect(request, location)


class PrivatePagesMiddleware:
    """A page shown to a signed-in person is never stored by the browser or a proxy: Back and
    Forward fetch it anew, so nobody acts on a complaint (or the queue) as it was before a
    colleague's note or their own last change. Every HTML page gets ``private, no-store``,
    even one that set caching of its own; other responses that set their own caching
    (downloads, the logo) keep it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return response
        page = response.get("Content-Type", "").startswith("text/html")
        if page or not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
