"""Checking a one-time code: each device's own throttling, and a lock after repeated failures."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device

from accounts.credentials import CredentialRefused, sign_in_locked_until
from accounts.models import User
from audit.models import AuditEvent
from audit.services import record_event
from outbox.services import enqueue_email
from tenancy import current

# Wrong codes in a row (throttled attempts included) after which staff sign-in locks.
LOCK_AFTER_FAILURES = 10
LOCK_FOR = timedelta(minutes=30)

LOCKED_MESSAGE = (
    "Sign-in is locked after too many wrong codes. Try again later or ask an administrator."
)


def verify_second_factor(user: User, code: str, *, stage: str = "sign_in") -> Device:
    """The confirmed device of ``user`` that accepts ``code``.

    Each device checks the code under its own throttling (django-otp's
    ``verify_is_allowed``/``throttle_increment``: a throttled device refuses unchecked).
    Every failure, throttled or not, counts; after ``LOCK_AFTER_FAILURES`` in a row the
    account's sign-in locks for ``LOCK_FOR``, with an audit event and an e-mail to the
    account. A correct code resets the count. Raises ``CredentialRefused`` with code
    ``sign_in_locked`` while locked, or ``code_invalid`` for a wrong or throttled code.
    """
    code = "".join(code.split())
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if sign_in_locked_until(locked) is not None:
            record_event(AuditEvent.Action.SECOND_FACTOR_FAILED, actor=locked, stage="locked")
            refusal = CredentialRefused(LOCKED_MESSAGE, "sign_in_locked")
        else:
            for device in devices_for_user(locked, confirmed=True):
                if device.verify_is_allowed()[0] and device.verify_token(code):
                    if locked.second_factor_failures:
                        locked.second_factor_failures = 0
                        locked.save(update_fields=["second_factor_failures"])
                    return device
            refusal = _count_failure(locked, stage)
    # Raised after the transaction commits, so the counted failure stays counted.
    raise refusal


def _count_failure(user: User, stage: str) -> CredentialRefused:
    user.second_factor_failures += 1
    record_event(AuditEvent.Action.SECOND_FACTOR_FAILED, actor=user, stage=stage)
    if user.second_factor_failures < LOCK_AFTER_FAILURES:
        user.save(update_fields=["second_factor_failures"])
        return CredentialRefused(
            "That code is not valid. Try the current code from your app.", "code_invalid"
        )
    now = timezone.now()
    user.second_factor_failures = 0
    user.second_factor_locked_until = now + LOCK_FOR
    user.save(update_fields=["second_factor_failures", "second_factor_locked_until"])
    record_event(
        AuditEvent.Action.SECOND_FACTOR_LOCKED,
        actor=user,
        target=user.email,
        until=user.second_factor_locked_until.isoformat(),
    )
    tenant = current.tenant()
    enqueue_email(
        key=f"sign-in-locked:{user.pk}:{now.isoformat()}",
        recipient=user.email,
        subject=f"Your {tenant.name} sign-in is locked",
        body=(
            f"Someone entered {LOCK_AFTER_FAILURES} wrong one-time codes for your account, so "
            f"sign-in is locked for {int(LOCK_FOR.total_seconds() // 60)} minutes.\n\n"
            "If this was not you, your password is known to someone else: change it and tell "
            "your administrator, who can also unlock your account.\n"
        ),
    )
    return CredentialRefused(LOCKED_MESSAGE, "sign_in_locked")


def unlock_sign_in(user: User, *, actor: User) -> User:
    """Lift a second-factor lock and clear the failure counts of the account and its devices."""
    with transaction.atomic():
        user.second_factor_failures = 0
        user.second_factor_locked_until = None
        user.save(update_fields=["second_factor_failures", "second_factor_locked_until"])
        for device in devices_for_user(user, confirmed=None):
            if hasattr(device, "throttle_reset"):
                device.throttle_reset()
        record_event(AuditEvent.Action.SECOND_FACTOR_UNLOCKED, actor=actor, target=user.email)
    return user
