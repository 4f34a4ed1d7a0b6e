"""The communications a regulator requires: composed, recorded, sent through the outbox."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime

from django.utils import timezone

from accounts.models import SYSTEM
from complaints.letters import LetterError, compose
from complaints.models import Complaint, Event, LetterKind
from complaints.services.clocks import (
    complaint_regulator,
    meet_clocks,
    refresh_deadlines,
    update_next_due,
)
from complaints.services.gate import Actor, Change, ComplaintError, changing, person
from complaints.services.notices import portal_link, tell_staff
from deadlines.models import Clock, Deadline
from deadlines.services import regulatory_days
from outbox.models import Message
from outbox.services import enqueue_email
from tenancy import current


def send_letter(
    change: Change,
    kind: LetterKind,
    *,
    primary: bool = False,
    system: bool = False,
    details: Mapping[str, str] | None = None,
    at: datetime | None = None,
    planned: Sequence[Deadline] | None = None,
) -> Event:
    """Compose a required communication inside ``change``, record it and e-mail it.

    The letter meets the clocks its regulator says it meets, pending the delivery of its
    e-mail (``letter_settled``). A letter is a timeline entry (kind LETTER) so the consumer's copy of every required
    communication is on the record: the change's own event when the letter is the change
    (``primary``: a holding response, an ADR letter), otherwise an entry beside it (the
    acknowledgement of a new complaint, the final response of a resolution). A ``system``
    letter is the product's own doing (an acknowledgement), whoever made the change.
    ``at`` is when it is sent (now by default). ``details`` fills the letter's own placeholders (a holding response's reason and date). Raises
    ``ComplaintError`` when the tenant's wording lacks what the regulator requires.

    ``planned`` are the deadlines of a new complaint, not yet stored, planned with the
    clocks this letter meets already met (``plan_deadlines``): the letter reads its dates
    from them and links the clocks it meets to its e-mail, so they are stored met at once.
    """
    complaint = change.complaint
    try:
        subject, body = compose(complaint, current.tenant(), kind, planned, **(details or {}))
    except LetterError as error:
        raise ComplaintError(str(error)) from error
    if primary:
        event = change.record(Event.Kind.LETTER, body=body, letter=str(kind), subject=subject)
    else:
        event = Event.objects.create(
            complaint=complaint,
            kind=Event.Kind.LETTER,
            actor=None if system else person(change.actor),
            body=body,
            data={"letter": str(kind), "subject": subject},
        )
    message = enqueue_email(
        key=f"letter:{event.pk}",
        recipient=complaint.consumer.email,
        subject=subject,
        body=f"{body}\n\nFollow your complaint online: {portal_link(complaint)}",
        fresh=True,
    )
    if planned is None:
        meet_clocks(complaint, kind, at or timezone.now(), message)
    else:
        met = complaint_regulator(complaint).clocks_met_by(kind)
        for deadline in planned:
            if deadline.clock in met:
                deadline.met_by_message = message
    return event


@contextmanager
def writing_to_consumer(complaint: Complaint, *, actor: Actor) -> Iterator[Change]:
    """The gate for a letter a handler writes while the complaint is still being worked."""
    with changing(
        complaint,
        actor=actor,
        permission="complaints.resolve_complaint",
        refusal="You may not write to this consumer.",
    ) as change:
        if not complaint.is_active:
            raise ComplaintError("The complaint is no longer open.")
        yield change


def send_holding_response(
    complaint: Complaint, reason: str, expected: date, *, actor: Actor
) -> Event:
    """Tell the consumer why the final response is late and when it will come.

    ``expected`` is a local date of the tenant, after today. What the reply does is the
    regulator's: an FCA holding response meets the 8-week duty (DISP 1.6.2R); on a
    payment-services complaint, sent within the 15 business days, it extends the limit to 35
    business days (DISP 1.6.2AR), and ``expected`` may not be later than that limit. Raises
    ComplaintError for a missing reason, a date in the past or beyond the limit.
    """
    reason = reason.strip().rstrip(".")
    if not reason:
        raise ComplaintError("Explain why the final response is not possible yet.")
    if expected <= timezone.localdate():
        raise ComplaintError("The expected date must be in the future.")
    with writing_to_consumer(complaint, actor=actor) as change:
        latest = latest_promised_date(complaint)
        if latest is not None and expected > latest:
            raise ComplaintError(
                f"The final response may not be promised for {expected:%-d %B %Y}: the "
                f"longest the rules allow is {latest:%-d %B %Y}."
            )
        return _letter_change(
            change,
            LetterKind.HOLDING_RESPONSE,
            holding_reason=reason,
            expected_date=expected.strftime("%-d %B %Y"),
        )


def send_in_progress_response(complaint: Complaint, steps: str, *, actor: Actor) -> Event:
    """Tell the consumer the complaint is still in progress and the steps taken so far.

    Only under a regulator whose clocks such a response meets (CFPB: it meets the 15-day
    response and starts the 60-day final-response clock), once per complaint. Raises
    ComplaintError otherwise, or without the steps.
    """
    steps = steps.strip()
    if not steps:
        raise ComplaintError("Say what has been done so far.")
    with writing_to_consumer(complaint, actor=actor) as change:
        if not complaint_regulator(complaint).clocks_met_by(LetterKind.IN_PROGRESS):
            raise ComplaintError("Your regulator has no in-progress response.")
        if complaint.in_progress_at is not None:
            raise ComplaintError("The in-progress response was already sent.")
        return _letter_change(change, LetterKind.IN_PROGRESS, progress_steps=steps)


def latest_promised_date(complaint: Complaint) -> date | None:
    """The last local date a holding reply may promise the final response for: the end of
    the extended limit when the regulator has one (35 business days), else None."""
    regulator = complaint_regulator(complaint)
    rule = regulator.rule_for(Clock.FINAL_RESPONSE)
    if rule is None or rule.extension is None:
        return None
    days = regulatory_days(regulator)
    return days.local_date(rule.due_after(days, complaint.received_at, rule.extension.length))


def _letter_change(change: Change, kind: LetterKind, **extra: str) -> Event:
    """A change whose event is the letter itself (holding response, ADR letter)."""
    complaint = change.complaint
    now = timezone.now()
    event = send_letter(change, kind, primary=True, details=extra, at=now)
    if kind == LetterKind.HOLDING_RESPONSE and complaint.holding_response_sent_at is None:
        change.set(holding_response_sent_at=now)
        refresh_deadlines(complaint)
    elif kind == LetterKind.IN_PROGRESS:
        change.set(in_progress_at=now)
        refresh_deadlines(complaint)
    elif kind == LetterKind.ADR_LETTER:
        change.set(adr_letter_sent_at=now)
    return event


def send_adr_letter(complaint: Complaint, *, actor: Actor = SYSTEM) -> Event:
    """Tell a telecoms consumer of their right to take the complaint to ADR (Ofcom)."""
    with changing(
        complaint,
        actor=actor,
        permission="complaints.send_letter",
        refusal="You may not write to this consumer.",
    ) as change:
        if complaint.adr_letter_sent_at is not None:
            raise ComplaintError("The ADR letter was already sent.")
        return _letter_change(change, LetterKind.ADR_LETTER)


def send_adr_letter_if_required(change: Change) -> None:
    """At deadlock a telecoms consumer is told of their right to ADR (Ofcom), once."""
    complaint = change.complaint
    regulator = complaint_regulator(complaint)
    if LetterKind.ADR_LETTER in regulator.automatic and complaint.adr_letter_sent_at is None:
        now = timezone.now()
        send_letter(change, LetterKind.ADR_LETTER, system=change.by_consumer, at=now)
        change.set(adr_letter_sent_at=now)


def letter_settled(message: Message, *, delivered: bool) -> None:
    """The outbox settled a letter's e-mail: a clock it met counts as met at delivery; if it
    failed for good, those clocks are open again and the assignee and the team manager are
    told, with an internal timeline entry. Other e-mails are no concern here."""
    met = Deadline.objects.filter(met_by_message=message)
    if delivered:
        met.update(met_at=message.sent_at)
        return
    kind, _, pk = message.key.partition(":")
    letter = (
        Event.objects.filter(pk=int(pk), kind=Event.Kind.LETTER).select_related("complaint").first()
        if kind == "letter" and pk.isdigit()
        else None
    )
    if letter is None:
        return
    complaint = letter.complaint
    with changing(
        complaint,
        actor=SYSTEM,
        permission="complaints.watch_deadlines",
        refusal="Only the product records undelivered letters.",
    ) as change:
        reopened = [Clock(clock).label.lower() for clock in met.values_list("clock", flat=True)]
        met.update(met_at=None, met_by_message=None)
        update_next_due(complaint)
        label = LetterKind(letter.data["letter"]).label
        body = (
            f"The {label.lower()} e-mail to the consumer could not be delivered "
            f"({message.last_error or 'refused'})."
            + (f" Open again: the {', the '.join(reopened)} deadline." if reopened else "")
        )
        event = change.record(
            Event.Kind.DEADLINE, body=body, internal=True, clock="", state="undelivered"
        )
        for person in {complaint.assignee, complaint.team.manager if complaint.team else None}:
            tell_staff(person, event, f"{complaint.reference}: a letter was not delivered", body)
