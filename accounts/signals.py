"""Security events from sign-in and sign-up flows, written to the audit log."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set, user_signed_up
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.credentials import record_session
from audit.models import AuditEvent
from audit.services import record_event


@receiver(user_logged_in)
def audit_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    record_event(AuditEvent.Action.SIGNED_IN, actor=user, request=request)
    if request is not None:
        record_session(request, user)


@receiver(user_logged_out)
def audit_sign_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(AuditEvent.Action.SIGNED_OUT, actor=user, request=request)


@receiver(user_login_failed)
def audit_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    attempted = credentials.get("email") or credentials.get("username") or ""
    record_event(
        AuditEvent.Action.SIGN_IN_FAILED, actor_email=str(attempted)[:254], request=request
    )


@receiver(user_signed_up)
def audit_sign_up(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_event(AuditEvent.Action.SIGNED_UP, actor=user, request=request)


@receiver(password_reset)
def audit_password_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    record_event(AuditEvent.Action.PASSWORD_RESET, actor=user, request=request)


@receiver(password_reset)
def prove_address_on_reset(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """A reset (or claim) link is mailed only to the account's address, so following it
    proves the address: an account made by staff intake is claimed this way."""
    from allauth.account.models import EmailAddress

    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])


@receiver(password_changed)
@receiver(password_set)
def keep_the_changing_session(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """The session that changed the password stays signed in under a new key and version;
    every other session of the account has ended."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        record_session(request, user)
