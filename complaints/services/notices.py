"""E-mails about complaint changes, written to the outbox in the change's transaction."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
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


@dataclass
class StaffDigest:
    """Staff e-mails held back while several changes run at once (a bulk action).

    When the batch ends each person gets one e-mail: the message itself when there was one,
    a digest of all of them when there were several.
    """

    mails: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    people: dict[int, Any] = field(default_factory=dict)

    def add(self, recipient: Any, key: str, subject: str, body: str) -> None:
        self.people[recipient.pk] = recipient
        self.mails.setdefault(recipient.pk, []).append((key, subject, body))

    def queue(self) -> None:
        """Queue each person's e-mail (or digest) in the outbox."""
        for pk, mails in self.mails.items():
            if len(mails) == 1:
                _enqueue(self.people[pk], *mails[0])
                continue
            keys = "\n".join(key for key, _, _ in mails)
            _enqueue(
                self.people[pk],
                f"digest:{hashlib.sha256(keys.encode()).hexdigest()[:32]}",
                f"{len(mails)} updates on your complaints",
                "\n\n———\n\n".join(f"{subject}\n\n{body}" for _, subject, body in mails),
            )


_digest: ContextVar[StaffDigest | None] = ContextVar("staff_digest", default=None)


@contextmanager
def staff_digest() -> Iterator[StaffDigest]:
    """Gather the staff e-mails of the changes made inside the block into one per person,
    queued when the block ends (each change has committed by then). Inside another
    gathering, the outer one collects them."""
    outer = _digest.get()
    if outer is not None:
        yield outer
        return
    digest = StaffDigest()
    token = _digest.set(digest)
    try:
        yield digest
    finally:
        _digest.reset(token)
        digest.queue()


def _enqueue(recipient: Any, key: str, subject: str, body: str) -> None:
    enqueue_email(
        key=f"{key}:{recipient.pk}", recipient=recipient.email, subject=subject, body=body
    )


def notify(recipient: Any, key: str, subject: str, body: str) -> None:
    """Queue an e-mail to an active person; ``key`` makes a retried change send it once.

    Inside ``staff_digest()`` a staff member's e-mail waits for the digest instead.
    """
    if recipient is not None and recipient.is_active and recipient.email:
        digest = _digest.get()
        if digest is not None and recipient.is_staff_member:
            digest.add(recipient, key, subject, body)
        else:
            _enqueue(recipient, key, subject, body)


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
