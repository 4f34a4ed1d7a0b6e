"""Replies the consumer reads, notes only staff read, and the files that come with them."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.postgres.search import SearchVector
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Value
from django.utils import timezone

from complaints.attachments import AttachmentError, check_uploads
from complaints.formatting import markdown_to_plain
from complaints.models import SEARCH_CONFIG, Attachment, Complaint, Event, Status
from complaints.services.clocks import mark_met
from complaints.services.gate import MOVES, Actor, Change, ComplaintError, changing, person
from complaints.services.notices import notify, portal_link, tell_staff
from complaints.text import clean_text
from configuration.models import TenantSettings
from deadlines.models import Clock


def refresh_search_vector(complaint: Complaint) -> None:
    """Index the complaint's words: public ones, and internal notes apart for staff search."""
    Complaint.objects.filter(pk=complaint.pk).refresh_search()


def index_new_complaint(complaint: Complaint) -> None:
    """Give a complaint about to be inserted the words ``refresh_search_vector`` would: its
    subject, its consumer's name and e-mail and its description, no correspondence yet
    (``ComplaintQuerySet.refresh_search``, in ``SEARCH_CONFIG``). The values are SQL
    expressions of the INSERT: drop them from the instance once it is saved."""

    def words(text: str, weight: str | None = None) -> SearchVector:
        return SearchVector(Value(text), weight=weight, config=SEARCH_CONFIG)

    consumer = complaint.consumer
    complaint.search_vector = (
        words(complaint.subject, "A")
        + words(consumer.full_name, "A")
        + words(consumer.email, "A")
        + words(complaint.description, "B")
    )
    complaint.internal_search_vector = words("")


def attach_files(change: Change, event: Event, uploads: Sequence[UploadedFile]) -> None:
    """Store ``uploads`` on ``event`` after checking their content and size (the tenant's
    limit, in MB). Files on an internal entry are internal. Raises ``ComplaintError``."""
    if not uploads:
        return
    policy = TenantSettings.current()
    try:
        checked = check_uploads(list(uploads), max_bytes=policy.max_attachment_mb * 1_048_576)
    except AttachmentError as error:
        raise ComplaintError(str(error)) from error
    for item in checked:
        attachment = Attachment(
            complaint=change.complaint,
            event=event,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            is_internal=event.is_internal,
            uploaded_by=person(change.actor),
        )
        attachment.file.save(item.name, item.upload, save=False)
        attachment.save()


def reply_to_complaint(
    complaint: Complaint,
    body: str,
    *,
    actor: Actor,
    files: Sequence[UploadedFile] = (),
    then: str = "",
) -> Event:
    """A reply the consumer sees. A consumer's reply brings a waiting complaint back to work;
    the first staff reply starts work on a new one and meets the first-response clocks.

    ``then`` names a plain status move (a row of ``MOVES``, e.g. ``await_consumer``) that
    staff make in the same change: the reply's one timeline event records the move, and the
    reply is not sent when the move is refused (``ComplaintError``)."""
    body = clean_text(body)
    if not body:
        raise ComplaintError("A reply cannot be empty.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.reply_to_complaint",
        refusal="You may not reply to this complaint.",
    ) as change:
        if complaint.status in (Status.CLOSED, Status.WITHDRAWN):
            raise ComplaintError(
                f"This complaint is {complaint.get_status_display().lower()}; "
                "it no longer takes replies."
            )
        if change.by_consumer:
            if then:
                raise ComplaintError("Only staff change the status with a reply.")
            if complaint.status == Status.AWAITING_CONSUMER:
                change.move("consumer_reply")
        else:
            if then:
                if then not in MOVES or not MOVES[then].manual:
                    raise ComplaintError("That status cannot be set with a reply.")
                change.move(then)
            elif complaint.status == Status.NEW:
                change.move("first_reply")
            if complaint.first_responded_at is None:
                change.set(first_responded_at=timezone.now())
                mark_met(complaint, [Clock.FIRST_RESPONSE])
        event = change.record(Event.Kind.REPLY, body=body)
        attach_files(change, event, files)
        refresh_search_vector(complaint)
        if change.by_consumer:
            tell_staff(
                complaint.assignee,
                event,
                f"{complaint.reference}: the consumer replied",
                f"{complaint.consumer.display_name} replied to {complaint.reference}.",
            )
        else:
            notify(
                complaint.consumer,
                f"event:{event.pk}",
                f"New reply on your complaint {complaint.reference}",
                f"{markdown_to_plain(body)}\n\n"
                f"Reply or follow your complaint online: {portal_link(complaint)}",
            )
        return event


def add_internal_note(
    complaint: Complaint, body: str, *, actor: Actor, files: Sequence[UploadedFile] = ()
) -> Event:
    """A note for staff only; it never reaches the consumer."""
    body = clean_text(body)
    if not body:
        raise ComplaintError("A note cannot be empty.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.add_internal_note",
        refusal="You may not add notes to this complaint.",
    ) as change:
        event = change.record(Event.Kind.NOTE, body=body, internal=True)
        attach_files(change, event, files)
        refresh_search_vector(complaint)
        return event
