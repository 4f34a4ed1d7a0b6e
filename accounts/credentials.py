"""Who may hold a credential now, and the credentials themselves: sessions and API tokens.

Every credential follows the account's state. ``check_credential`` is the one place that
decides whether an account may hold (or be issued) a credential at this moment; the session
middleware, the token and refresh endpoints, the API authentication and the sign-in adapter
all ask it. Each credential carries the account's ``credential_version``; the events that must
end credentials bump it (``revoke_all_credentials``, or ``User.set_password``), so every
session, access token and refresh token issued before stops working at its next use.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django_otp import user_has_device
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken, Token

from accounts.models import IssuedRefreshToken, Role, SignedInSession, User
from accounts.predicates import second_factor_required
from audit.models import AuditEvent
from audit.services import client_ip, current_request, record_event
from tenancy import current

TENANT_CLAIM = "tenant"
SECOND_FACTOR_CLAIM = "otp"
VERSION_CLAIM = "cv"
FAMILY_CLAIM = "family"


class CredentialRefused(Exception):
    """The account may not hold this credential now; ``code`` names the reason."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def has_verified_address(user: User) -> bool:
    """Whether the account's sign-in address has been proven (a confirmed allauth address)."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def needs_second_factor(user: User) -> bool:
    """Staff prove a second factor when the policy says so or when they enrolled one anyway."""
    return user.is_staff_member and (second_factor_required(user) or user_has_device(user))


def second_factor_pending(user: Any) -> bool:
    """Whether ``user`` signed in with the password alone and must still prove the second
    factor: then they reach nothing but the second-factor pages
    (``accounts.middleware.SessionCredentialMiddleware``) and the site header shows only who
    they are and Sign out. False for a request django-otp did not verify (no
    ``is_verified`` on the user)."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff_member:
        return False
    verified = getattr(user, "is_verified", None)
    return verified is not None and not verified() and needs_second_factor(user)


def sign_in_locked_until(user: User) -> datetime | None:
    """The UTC time until which the account's sign-in is locked, or None when it is not."""
    until = user.second_factor_locked_until
    return until if until is not None and until > timezone.now() else None


def check_credential(
    user: User,
    *,
    version: int | None = None,
    second_factor: bool | None = None,
    issuing: bool = False,
    machine: bool = False,
) -> None:
    """Raise ``CredentialRefused`` unless ``user`` may hold a credential of the current tenant now.

    The rule: the tenant is active; the account is active (deactivated and closed accounts
    are not); the credential's ``version`` (when it carries one) is the account's current
    credential version; when a credential is being issued (``issuing``), a consumer's address
    is verified and the account's sign-in is not locked; staff who need a second factor have
    passed it (``second_factor``; None when the caller asks for it in a later step). An API
    client's identity holds only machine credentials (``machine``: a token obtained with the
    client's id and secret), never a session, a password token or a refresh token.
    """
    tenant = current.tenant()
    if tenant.is_suspended:
        raise CredentialRefused(f"{tenant.name} is suspended.", "tenant_suspended")
    if user.role == Role.CLIENT and not machine:
        raise CredentialRefused(
            "API clients authenticate with their client id and secret.", "machine_client"
        )
    if not user.is_active:
        raise CredentialRefused("This account is closed or deactivated.", "inactive")
    if version is not None and version != user.credential_version:
        raise CredentialRefused("This credential was revoked: sign in again.", "credential_revoked")
    if issuing:
        if user.role == Role.CONSUMER and not has_verified_address(user):
            raise CredentialRefused(
                "Confirm your e-mail address first: follow the link we sent you.",
                "address_unverified",
            )
        if user.is_staff_member and sign_in_locked_until(user) is not None:
            raise CredentialRefused(
                "Sign-in is locked after too many wrong codes. Try later or ask an administrator.",
                "sign_in_locked",
            )
    if second_factor is False and needs_second_factor(user):
        raise CredentialRefused(
            "Staff need the second factor: sign in again with your one-time code.",
            "second_factor_required",
        )


def _where(request: HttpRequest | None) -> dict[str, Any]:
    request = request if request is not None else current_request.get()
    if request is None:
        return {"ip_address": None, "user_agent": ""}
    return {
        "ip_address": client_ip(request),
        "user_agent": request.headers.get("User-Agent", "")[:300],
    }


def issue_tokens(
    user: User,
    *,
    second_factor: bool,
    request: HttpRequest | None = None,
    family: uuid.UUID | None = None,
) -> dict[str, str]:
    """A refresh and access token pair for ``user``, bound to the current tenant and to the
    account's credential version; the refresh token is recorded (``IssuedRefreshToken``)."""
    refresh = RefreshToken.for_user(user)
    family = family or uuid.uuid4()
    refresh[TENANT_CLAIM] = current.schema_name()
    refresh[SECOND_FACTOR_CLAIM] = second_factor
    refresh[VERSION_CLAIM] = user.credential_version
    refresh[FAMILY_CLAIM] = str(family)
    IssuedRefreshToken.objects.create(
        jti=str(refresh["jti"]),
        family=family,
        user=user,
        credential_version=user.credential_version,
        expires_at=datetime.fromtimestamp(int(refresh["exp"]), tz=UTC),
        **_where(request),
    )
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def require_this_tenant(token: Token) -> None:
    """Raise ``CredentialRefused`` unless ``token`` was issued by the current tenant."""
    if token.get(TENANT_CLAIM) != current.schema_name():
        raise CredentialRefused("This token was not issued by this organisation.", "wrong_tenant")


def rotate_refresh_token(raw: str, *, request: HttpRequest | None = None) -> dict[str, str]:
    """Exchange a refresh token for a new pair; the presented token is used up.

    Raises ``CredentialRefused`` when the token is malformed, expired, of another tenant,
    unknown, revoked, or no longer matches the account's state. A token that was already
    rotated away is a copy in someone else's hands: its whole family is revoked.
    """
    try:
        token = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as error:
        raise CredentialRefused(str(error), "token_not_valid") from error
    require_this_tenant(token)
    now = timezone.now()
    with transaction.atomic():
        record = (
            IssuedRefreshToken.objects.select_for_update()
            .select_related("user")
            .filter(jti=str(token.get("jti", "")))
            .first()
        )
        if record is None or record.revoked_at is not None:
            refusal = CredentialRefused("This refresh token was revoked.", "token_revoked")
        elif record.rotated_at is not None:
            IssuedRefreshToken.objects.filter(family=record.family, revoked_at__isnull=True).update(
                revoked_at=now
            )
            record_event(AuditEvent.Action.REFRESH_TOKEN_REUSED, actor=record.user, request=request)
            refusal = CredentialRefused(
                "This refresh token was already used; every token of its sign-in is revoked.",
                "token_reused",
            )
        else:
            user = record.user
            second_factor = bool(token.get(SECOND_FACTOR_CLAIM))
            check_credential(
                user,
                version=int(token.get(VERSION_CLAIM, -1)),
                second_factor=second_factor,
                issuing=True,
            )
            record.rotated_at = record.last_used_at = now
            record.save(update_fields=["rotated_at", "last_used_at"])
            return issue_tokens(
                user, second_factor=second_factor, request=request, family=record.family
            )
    # Raised after the transaction commits, so the family's revocation stays.
    raise refusal


def record_session(request: HttpRequest, user: User) -> None:
    """Remember where and when a browser session signed in, under its final session key."""
    session = getattr(request, "session", None)
    if session is None or not isinstance(user, User):
        return
    if session.session_key is None:
        session.save()
    SignedInSession.objects.update_or_create(
        session_key=session.session_key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "expires_at": session.get_expiry_date(),
            "credential_version": user.credential_version,
            "revoked_at": None,
            **_where(request),
        },
    )


def active_sessions(user: User) -> list[SignedInSession]:
    """The user's signed-in browser sessions that still work, newest first."""
    return list(
        SignedInSession.objects.active()
        .filter(user=user, credential_version=user.credential_version)
        .filter(
            session_key__in=Session.objects.filter(expire_date__gt=timezone.now()).values(
                "session_key"
            )
        )
    )


def active_refresh_tokens(user: User) -> list[IssuedRefreshToken]:
    """The user's API refresh tokens that can still be exchanged, newest first."""
    return list(
        IssuedRefreshToken.objects.active().filter(
            user=user, credential_version=user.credential_version, rotated_at__isnull=True
        )
    )


def revoke_session(user: User, session_id: int, *, actor: User) -> None:
    """Sign one of ``user``'s browser sessions out. Raises ``SignedInSession.DoesNotExist``."""
    with transaction.atomic():
        entry = SignedInSession.objects.select_for_update().get(user=user, pk=session_id)
        Session.objects.filter(session_key=entry.session_key).delete()
        entry.revoked_at = timezone.now()
        entry.save(update_fields=["revoked_at"])
        record_event(
            AuditEvent.Action.CREDENTIAL_REVOKED, actor=actor, target=user.email, kind="session"
        )


def revoke_refresh_token(user: User, token_id: int, *, actor: User) -> None:
    """Revoke one of ``user``'s API refresh tokens and its whole family (the tokens it was
    rotated into). Raises ``IssuedRefreshToken.DoesNotExist``."""
    with transaction.atomic():
        entry = IssuedRefreshToken.objects.get(user=user, pk=token_id)
        IssuedRefreshToken.objects.filter(family=entry.family, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        record_event(
            AuditEvent.Action.CREDENTIAL_REVOKED, actor=actor, target=user.email, kind="refresh"
        )


def revoke_all_credentials(user: User, *, actor: Any = None, audit: bool = False) -> None:
    """End every credential of ``user``: bump the credential version (sessions, access and
    refresh tokens issued before are refused at their next use), delete the sessions and mark
    the refresh tokens revoked. Runs in the caller's transaction; ``user`` is refreshed."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(credential_version=F("credential_version") + 1)
    user.refresh_from_db(fields=["credential_version"])
    keys = SignedInSession.objects.filter(user=user, revoked_at__isnull=True)
    Session.objects.filter(session_key__in=keys.values("session_key")).delete()
    keys.update(revoked_at=now)
    IssuedRefreshToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=now)
    if audit:
        record_event(AuditEvent.Action.CREDENTIALS_REVOKED, actor=actor, target=user.email)
