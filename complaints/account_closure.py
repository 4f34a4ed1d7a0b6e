"""Closing a consumer's account while keeping the complaint records the regulator requires."""

from __future__ import annotations

from accounts.models import User
from accounts.services import AccountError, close_account
from complaints.models import Complaint


def keep_complaint_records(consumer: User) -> dict[str, object]:
    """Refuse while any complaint of ``consumer`` is still being handled; else count the kept ones.

    Called with the account row locked, inside the closing transaction. Raises ``AccountError``
    naming the complaints still active.
    """
    complaints = Complaint.objects.filter(consumer=consumer)
    active = list(complaints.active().values_list("reference", flat=True))
    if active:
        raise AccountError(
            "We are still handling " + ", ".join(active) + ". Withdraw them, or wait until "
            "they are closed, before you close your account."
        )
    return {"complaints_kept": complaints.count()}


def close_consumer_account(consumer: User, *, actor: User) -> User:
    """Close a consumer's own account: anonymise the person, keep their complaint records.

    The regulator wants complaints and their correspondence kept (REGULATORY.md), so the
    complaints stay linked to the account row; the row itself no longer names anyone and can
    never sign in again. Raises ``AccountError`` when the closing is refused.
    """
    return close_account(consumer, actor=actor, keep_records=keep_complaint_records)
