"""E-mails about complaint changes, written to the outbox in the change's transaction."""

from __future__ import annotations

from typing import Any

from complaints.models import Complaint, Event
from outbox.services import enqueue_email
from tenancy import current


def console_link(complaint: Complaint) -> str:
    """The complaint's page in the console, on the tenant's canonical address."""
    return f"{current.tenant().base_url}/console/complaints/{complaint.reference}/"


def portal_link(complaint: Complaint) -> str:
    """The complaint's page in the consumer portal, on the tenant's canonical address."""
    return f"{current.tenant().base_url}/complaints/{complaint.reference}/"


def notify(recipient: Any, key: str, subject: str, body: str) -> None:
    """Queue an e-mail to an active person; ``key`` makes a retried change send it once."""
    if recipient is not None and recipient.is_active and recipient.email:
        enqueue_email(
            key=f"{key}:{recipient.pk}", recipient=recipient.email, subject=subject, body=body
        )


def tell_staff(person: Any, event: Event, subject: str, message: str) -> None:
    """E-mail a staff member about ``event``, with a link to the complaint in the console."""
    complaint = event.complaint
    notify(person, f"event:{event.pk}", subject, f"{message}\n\n{console_link(complaint)}")


def tell_assignee(complaint: Complaint, key: str) -> None:
    """Tell the complaint's (fresh) assignee that it is now theirs."""
    notify(
        complaint.assignee,
        key,
        f"{complaint.reference} is assigned to you",
        f"“{complaint.subject}” is now yours.\n\n{console_link(complaint)}",
    )
