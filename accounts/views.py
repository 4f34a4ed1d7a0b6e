from __future__ import annotations

import base64

import segno
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.credentials import (
    CredentialRefused,
    active_refresh_tokens,
    active_sessions,
    revoke_refresh_token,
    revoke_session,
)
from accounts.decorators import AuthenticatedRequest
from accounts.forms import AcceptInvitationForm, OneTimeCodeForm
from accounts.middleware import page_to_return_to
from accounts.models import IssuedRefreshToken, SignedInSession
from accounts.second_factor import verify_second_factor
from accounts.services import (
    AccountError,
    accept_invitation,
    confirm_totp_device,
    find_invitation,
    pending_totp_device,
    sign_out_everywhere,
)
from audit.models import AuditEvent
from audit.services import record_event


def _next_url(request: AuthenticatedRequest) -> str:
    """Where to go after this step: ``next`` when it is a page of this tenant to return to
    (``page_to_return_to``); anything else (a view name, ``a b``, another host, a one-time
    link, a POST-only action) goes home."""
    candidate = request.POST.get("next") or request.GET.get("next") or "/"
    return page_to_return_to(request, candidate) or "/"


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: AuthenticatedRequest) -> HttpResponse:
    """Enrol an authenticator app: QR code and manual key, confirmed by a first code."""
    user = request.user
    if user_has_device(user):
        return redirect("two_factor_verify")
    device = pending_totp_device(user)
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = confirm_totp_device(device, form.cleaned_data["code"], actor=user)
        except AccountError as error:
            form.add_error("code", str(error))
        else:
            otp_login(request, device)
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    secret = base64.b32encode(device.bin_key).decode()
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#1f2937")
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": _next_url(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    """The second step of a staff sign-in: a code from the authenticator or a recovery code."""
    user = request.user
    if not user_has_device(user):
        return redirect("two_factor_setup")
    if user.is_verified():  # type: ignore[attr-defined]
        return redirect(_next_url(request))
    form = OneTimeCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = verify_second_factor(user, form.cleaned_data["code"])
        except CredentialRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            otp_login(request, device)
            used_recovery = isinstance(device, StaticDevice)
            record_event(
                AuditEvent.Action.RECOVERY_CODE_USED
                if used_recovery
                else AuditEvent.Action.SECOND_FACTOR_PASSED,
                actor=user,
                request=request,
            )
            if used_recovery:
                messages.warning(
                    request, "You signed in with a recovery code; it cannot be used again."
                )
            return redirect(_next_url(request))
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )


@require_http_methods(["GET", "POST"])
def accept_invitation_view(request: AuthenticatedRequest, token: str) -> HttpResponse:
    invitation = find_invitation(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = AcceptInvitationForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept_invitation(
                invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="accounts.sessions.AccountBackend")
            messages.success(request, "Welcome. Set up your authenticator app to finish.")
            return redirect("two_factor_setup")
    return render(
        request, "accounts/accept_invitation.html", {"form": form, "invitation": invitation}
    )


@login_required
@require_http_methods(["GET", "POST"])
def sessions_and_devices(request: AuthenticatedRequest) -> HttpResponse:
    """The signed-in browser sessions and API refresh tokens of the caller, each revocable,
    and "sign out everywhere" (which also ends this session)."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "everywhere":
                sign_out_everywhere(user, actor=user)
                return redirect("account_login")
            if action == "session":
                revoke_session(user, int(request.POST.get("id", "")), actor=user)
            elif action == "refresh":
                revoke_refresh_token(user, int(request.POST.get("id", "")), actor=user)
            else:
                return HttpResponseBadRequest("Unknown action.")
        except (ValueError, SignedInSession.DoesNotExist, IssuedRefreshToken.DoesNotExist):
            messages.error(request, "That session or token no longer exists.")
        else:
            messages.success(request, "Revoked.")
        return redirect("account_sessions")
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": active_sessions(user),
            "refresh_tokens": active_refresh_tokens(user),
            "current_key": request.session.session_key,
        },
    )
