"""The consumer behind the complaints: staff notes about them."""

from __future__ import annotations

from django.db import transaction

from accounts.models import User
from audit.models import AuditEvent
from audit.services import record_event
from complaints.models import CustomerNote
from complaints.services.gate import Actor, ComplaintError, may, person
from complaints.text import clean_text

CUSTOMER_NOTE_MAX_LENGTH = 2000


def add_customer_note(consumer: User, body: str, *, actor: Actor) -> CustomerNote:
    """Keep a note about ``consumer`` for staff (never shown to the consumer), and record in
    the audit log that it was added (not what it says).

    Raises ``ComplaintError`` for an empty or over-long note, or an actor who does not work
    any of the consumer's complaints.
    """
    body = clean_text(body)
    if not body:
        raise ComplaintError("A note cannot be empty.")
    if len(body) > CUSTOMER_NOTE_MAX_LENGTH:
        raise ComplaintError(f"Keep the note under {CUSTOMER_NOTE_MAX_LENGTH} characters.")
    if not may(actor, "complaints.add_customer_note", consumer):
        raise ComplaintError("You may not keep notes about this customer.")
    with transaction.atomic():
        note = CustomerNote.objects.create(consumer=consumer, author=person(actor), body=body)
        record_event(
            AuditEvent.Action.CUSTOMER_NOTE_ADDED,
            actor=actor,
            target=f"user:{consumer.pk}",
            note=note.pk,
        )
    return note
