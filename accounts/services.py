"""State changes for accounts: invitations, roles and second-factor enrolment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import int_to_base36
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.credentials import has_verified_address, revoke_all_credentials
from accounts.models import TENANT_STAFF_ROLES, Invitation, Role, User
from audit.models import AuditEvent
from audit.services import record_event
from outbox.services import enqueue_email
from tenancy import current
from tenancy.models import canonical_url

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
        # Keyed by the invitation: a resend is a new invitation, so a new message.
        enqueue_email(
            key=f"invitation:{invitation.pk}",
            recipient=email,
            subject=f"You are invited to {tenant.name} complaints",
            body=f"You have been invited to join {tenant.name} as {Role(role).label}.\n\n"
            f"Accept the invitation within {Invitation.VALID_FOR.days} days: {link}\n",
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
    if actor is not None and actor.pk == user.pk and previous == Role.ADMIN:
        raise AccountError("You cannot take away your own administrator role.")
    with transaction.atomic():
        user.role = role
        user.save(update_fields=["role"])
        revoke_all_credentials(user)
        record_event(
            AuditEvent.Action.ROLE_CHANGED,
            actor=actor,
            target=user.email,
            previous=previous,
            role=str(role),
        )
    return user


def resend_invitation(invitation: Invitation, *, actor: User | None) -> tuple[Invitation, str]:
    """Send a pending invitation again with a fresh link; the old link stops working."""
    if not invitation.is_usable:
        raise AccountError("Only a pending invitation can be sent again.")
    return invite_staff(invitation.email, invitation.role, actor=actor)


def revoke_invitation(invitation: Invitation, *, actor: User | None) -> Invitation:
    """Withdraw a pending invitation so its link no longer works."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not locked.is_usable:
            raise AccountError("This invitation is no longer pending.")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        record_event(
            AuditEvent.Action.INVITATION_REVOKED, actor=actor, target=locked.email, role=locked.role
        )
    return locked


def set_staff_active(user: User, active: bool, *, actor: User | None) -> User:
    """Deactivate a staff member (they can no longer sign in) or let them back in."""
    if not user.is_staff_member:
        raise AccountError("Only staff accounts are managed here.")
    if actor is not None and actor.pk == user.pk:
        raise AccountError("You cannot deactivate your own account.")
    if user.is_active == active:
        return user
    with transaction.atomic():
        user.is_active = active
        user.save(update_fields=["is_active"])
        revoke_all_credentials(user)
        record_event(
            AuditEvent.Action.STAFF_REACTIVATED if active else AuditEvent.Action.STAFF_DEACTIVATED,
            actor=actor,
            target=user.email,
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


def reset_second_factor(user: User, *, actor: User) -> User:
    """Remove a staff member's authenticator and recovery codes (a lost phone) and sign them
    out everywhere; they enrol a new authenticator at their next sign-in."""
    if not user.is_staff_member:
        raise AccountError("Only staff accounts have a second factor to reset.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        revoke_all_credentials(user)
        record_event(AuditEvent.Action.SECOND_FACTOR_RESET, actor=actor, target=user.email)
    return user


def sign_out_everywhere(user: User, *, actor: User) -> User:
    """End every session and API token of ``user`` (their own choice, or an admin's)."""
    with transaction.atomic():
        revoke_all_credentials(user, actor=actor, audit=True)
    return user


def claim_link(user: User) -> str:
    """A link, for mail to the account's own address, that opens the account by setting a
    password: a password-reset link on the tenant's canonical URL. Following it proves the
    address (``accounts.signals.prove_address_on_reset``)."""
    from accounts.tokens import TenantPasswordResetTokenGenerator

    token = TenantPasswordResetTokenGenerator().make_token(user)
    path = reverse(
        "account_reset_password_from_key",
        urlconf=settings.ROOT_URLCONF,
        kwargs={"uidb36": int_to_base36(user.pk), "key": token},
    )
    return canonical_url(path)


def take_back_unproven_account(user: User, *, actor: Any) -> bool:
    """Before staff attach anything to a consumer account, make sure only the address's owner
    can ever open it.

    An account whose address was never proven (a self-registration left unconfirmed: anyone
    can sign up with anyone's address) loses the password its unknown creator chose and every
    credential, and a link to claim it is mailed to the address. An account without a
    password (made by an earlier intake) is already claimable only that way. Returns whether
    the account's address is unproven (so its owner must claim it through the link).
    """
    if has_verified_address(user):
        return False
    if not user.has_usable_password():
        return True
    tenant = current.tenant()
    with transaction.atomic():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        revoke_all_credentials(user)
        record_event(AuditEvent.Action.INTAKE_ACCOUNT_RECLAIMED, actor=actor, target=user.email)
        enqueue_email(
            key=f"claim:{user.pk}:{user.credential_version}",
            recipient=user.email,
            subject=f"Follow your complaint to {tenant.name} online",
            body=(
                f"{tenant.name} has logged a complaint for you. To follow it online, set a "
                f"password for your account with this link: {claim_link(user)}\n\n"
                "An account was started with this address but never confirmed; the password "
                "chosen then no longer works.\n"
            ),
        )
    return True


def close_account(
    user: User,
    *,
    actor: User,
    keep_records: Callable[[User], Mapping[str, Any]] | None = None,
) -> User:
    """Close a consumer's own account: anonymise the person so the row can never sign in again.

    ``keep_records`` lets the apps that hold the person's records (complaints) decide inside
    the same transaction, with the account row locked: it raises ``AccountError`` to refuse,
    or returns facts about the records kept for the audit row. Raises ``AccountError`` when
    the user is not a consumer closing their own account, or the account is already closed.
    """
    from allauth.account.models import EmailAddress

    if user.role != Role.CONSUMER or actor.pk != user.pk:
        raise AccountError("Only consumers can close their own account here.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            raise AccountError("This account is already closed.")
        kept = keep_records(locked) if keep_records is not None else {}
        user.email = f"closed-{user.pk}@closed.invalid"
        user.full_name = user.phone = user.postal_address = user.accessibility_needs = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(
            update_fields=[
                "email",
                "full_name",
                "phone",
                "postal_address",
                "accessibility_needs",
                "is_active",
                "password",
            ]
        )
        EmailAddress.objects.filter(user=user).delete()
        revoke_all_credentials(user)
        record_event(AuditEvent.Action.ACCOUNT_CLOSED, actor=user, target=f"user:{user.pk}", **kept)
    return user


CONTACT_FIELDS = (
    "full_name",
    "phone",
    "postal_address",
    "preferred_channel",
    "accessibility_needs",
)


def update_contact_details(person: User, *, actor: User, **details: str) -> list[str]:
    """Change a consumer's name and contact details (``CONTACT_FIELDS``); returns the names of
    the fields that changed, which the audit log records (never their values).

    The consumer changes their own; staff change them for the consumers whose complaints they
    may see (the view checks that). Raises ``AccountError`` for a field outside
    ``CONTACT_FIELDS`` or a person who is not a consumer.
    """
    unknown = set(details) - set(CONTACT_FIELDS)
    if unknown:
        raise AccountError(f"These are not contact details: {', '.join(sorted(unknown))}.")
    if person.role != Role.CONSUMER:
        raise AccountError("Only a consumer's contact details are kept here.")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=person.pk)
        changed = [name for name, value in details.items() if getattr(locked, name) != value]
        if changed:
            for name in changed:
                setattr(person, name, details[name])
            person.save(update_fields=changed)
            record_event(
                AuditEvent.Action.CONTACT_DETAILS_CHANGED,
                actor=actor,
                target=f"user:{person.pk}",
                fields=changed,
            )
    return changed
