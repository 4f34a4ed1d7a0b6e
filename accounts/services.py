"""State changes for accounts: invitations, roles and second-factor enrolment."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import TENANT_STAFF_ROLES, Invitation, Role, User
from audit.models import AuditEvent
from audit.services import record_event
from tenancy import current

RECOVERY_CODE_COUNT = 10


class AccountError(Exception):
    """A refused account change; the message is meant for the person who asked."""


def email_has_account(email: str) -> bool:
    """True when an account of this tenant signs in with ``email`` or has it as a confirmed address."""
    from allauth.account.models import EmailAddress

    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email, verified=True).exists()
    )


def invite_staff(email: str, role: Role | str, *, actor: User | None) -> tuple[Invitation, str]:
    """Invite a staff member of the current tenant; returns the invitation and its link token."""
    email = email.strip().lower()
    if role not in TENANT_STAFF_ROLES:
        raise AccountError(f"{role!r} is not a staff role.")
    if email_has_account(email):
        raise AccountError(f"{email} already has an account in this organisation.")
    token = Invitation.new_token()
    tenant = current.tenant()
    with transaction.atomic():
        Invitation.objects.pending().filter(email__iexact=email).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            token_hash=Invitation.hash_token(token),
            invited_by=actor,
            expires_at=timezone.now() + Invitation.VALID_FOR,
        )
        record_event(AuditEvent.Action.STAFF_INVITED, actor=actor, target=email, role=str(role))
        # The tenant's own URLs, even when the platform console (public URLs) invites the admin.
        path = reverse("accept_invitation", urlconf=settings.ROOT_URLCONF, args=[token])
        link = f"{tenant.base_url}{path}"
        transaction.on_commit(
            lambda: send_mail(
                f"You are invited to {tenant.name} complaints",
                f"You have been invited to join {tenant.name} as {Role(role).label}.\n\n"
                f"Accept the invitation within 7 days: {link}\n",
                settings.DEFAULT_FROM_EMAIL,
                [email],
            )
        )
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """The usable invitation for a link token, or None when unknown, used, revoked or expired."""
    invitation = Invitation.objects.filter(token_hash=Invitation.hash_token(token)).first()
    return invitation if invitation is not None and invitation.is_usable else None


def accept_invitation(invitation: Invitation, *, full_name: str, password: str) -> User:
    """Create the invited staff account; the invitation cannot be used again."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_usable:
            raise AccountError("This invitation has already been used or has expired.")
        if email_has_account(locked.email):
            raise AccountError(f"{locked.email} already has an account in this organisation.")
        user = User.objects.create_user(
            locked.email, password, full_name=full_name.strip(), role=locked.role
        )
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        locked.accepted_at = timezone.now()
        locked.save(update_fields=["accepted_at"])
        record_event(
            AuditEvent.Action.INVITATION_ACCEPTED, actor=user, target=user.email, role=user.role
        )
    return user


def change_role(user: User, role: Role | str, *, actor: User | None) -> User:
    """Give a staff member another role; recorded in the audit log."""
    if role not in TENANT_STAFF_ROLES:
        raise AccountError(f"{role!r} is not a staff role.")
    if user.role == Role.CONSUMER:
        raise AccountError("Consumers cannot be given a staff role; invite the person instead.")
    previous = user.role
    if previous == role:
        return user
    with transaction.atomic():
        user.role = role
        user.save(update_fields=["role"])
        record_event(
            AuditEvent.Action.ROLE_CHANGED,
            actor=actor,
            target=user.email,
            previous=previous,
            role=str(role),
        )
    return user


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator device a user is enrolling, created on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def confirm_totp_device(device: TOTPDevice, code: str, *, actor: User) -> list[str]:
    """Confirm an authenticator with its first code; returns fresh recovery codes."""
    if device.confirmed:
        raise AccountError("This authenticator is already set up.")
    if not device.verify_token(code):
        record_event(AuditEvent.Action.SECOND_FACTOR_FAILED, actor=actor, stage="enrolment")
        raise AccountError("That code is not valid. Check the time on your phone and try again.")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = replace_recovery_codes(actor)
        record_event(AuditEvent.Action.SECOND_FACTOR_ENROLLED, actor=actor, device="totp")
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    """Replace a user's recovery codes with a new set of single-use codes."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="Recovery codes")
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes
