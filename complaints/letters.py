"""Required communications: default wording per regulatory profile, placeholders, and the
content each regulator insists on, checked before anything is sent."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from complaints.formatting import markdown_to_plain
from complaints.models import LetterKind, own_letter_wording
from complaints.money import format_amount
from complaints.placeholders import LETTER_PLACEHOLDERS, PlaceholderError, consumer_name
from deadlines.regulation import regulator_for
from deadlines.regulation.uk_fca import FOS_WEBSITE
from deadlines.regulation.uk_ofcom import DEFAULT_ADR_SCHEME

if TYPE_CHECKING:
    from complaints.models import Complaint
    from deadlines.models import Deadline
    from tenancy.models import Tenant


class LetterError(Exception):
    """A letter that cannot be sent as written; the message names what is missing."""


SIGN_OFF = "\n\nYours sincerely,\nThe complaints team, {organisation}"

# The product's plain wording of every communication, used where the tenant's regulator has
# no wording of its own (``Regulator.letters`` in ``deadlines/regulation/``); bodies end
# before the sign-off.
DEFAULT_LETTERS: dict[LetterKind, tuple[str, str]] = {
    LetterKind.ACKNOWLEDGEMENT: (
        "We have received your complaint {reference}",
        "Dear {consumer_name},\n\nThank you for your complaint “{subject}”, which we received "
        "on {received_date}. Your reference is {reference}.\n\nWe will investigate and send you "
        "our final response {response_promise}.",
    ),
    LetterKind.SUMMARY_RESOLUTION: (
        "Your complaint {reference} is resolved",
        "Dear {consumer_name},\n\nThank you for bringing “{subject}” to our attention. We "
        "believe we have resolved your complaint {reference} to your satisfaction.\n\n"
        "Redress: {redress}.\n\n{resolution_summary}",
    ),
    LetterKind.HOLDING_RESPONSE: (
        "An update on your complaint {reference}",
        "Dear {consumer_name},\n\nWe are not yet able to give you our final response to your "
        "complaint {reference} because {holding_reason}. We expect to send it by "
        "{expected_date}.",
    ),
    LetterKind.FINAL_RESPONSE: (
        "Our final response to your complaint {reference}",
        "Dear {consumer_name},\n\nThis is our final response to your complaint {reference} "
        "about “{subject}”.\n\nOutcome: {outcome}.\nRedress: {redress}.\n\n{resolution_summary}",
    ),
    LetterKind.IN_PROGRESS: (
        "Your complaint {reference} is in progress",
        "Dear {consumer_name},\n\nYour complaint {reference} about “{subject}” is in progress. "
        "So far: {progress_steps}\n\nWe will send you our final response {response_promise}.",
    ),
    LetterKind.ADR_LETTER: (
        "Your right to take complaint {reference} further",
        "Dear {consumer_name},\n\nWe have not been able to settle your complaint {reference} to "
        "your satisfaction. You may take it to an independent dispute resolution scheme, "
        "{adr_scheme}, free of charge for you.",
    ),
}


def default_letter(profile: str, kind: LetterKind) -> tuple[str, str]:
    """The default wording of ``kind`` under ``profile``: the regulator's own wording when it
    has one, else the product's plain one; a final response ends with the referral rights
    the regulator requires; every letter ends with the sign-off."""
    regulator = regulator_for(profile)
    subject, body = regulator.letters.get(kind) or DEFAULT_LETTERS[kind]
    if kind == LetterKind.FINAL_RESPONSE:
        body += regulator.final_response_rights
    return subject, body + SIGN_OFF


def regulated_letters(profile: str) -> list[LetterKind]:
    """The letters ``profile``'s regulator requires content of or words itself, in
    ``LetterKind`` order: those a tenant's administrator should review."""
    regulator = regulator_for(profile)
    wanted = set(regulator.required) | set(regulator.letters)
    return [kind for kind in LetterKind if kind in wanted]


def letter_wording(profile: str, kind: LetterKind) -> tuple[str, str]:
    """The tenant's own wording when it has one, else the profile's default."""
    return own_letter_wording().get(kind) or default_letter(profile, kind)


def check_required_content(profile: str, kind: LetterKind, text: str) -> None:
    """Refuse a letter that lacks what the regulator requires it to say."""
    missing = [
        requirement.description
        for requirement in regulator_for(profile).required.get(kind, ())
        if not requirement.is_met_by(text)
    ]
    if missing:
        raise LetterError(f"The {kind.label.lower()} must mention: " + "; ".join(missing) + ".")


def _date(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%-d %B %Y") if moment else ""


def letter_values(
    complaint: Complaint, tenant: Tenant, deadlines: Sequence[Deadline] | None = None, **extra: str
) -> dict[str, str]:
    """The placeholders' values; ``deadlines`` are the complaint's (read when not given)."""
    from deadlines.models import Clock

    zone = ZoneInfo(tenant.time_zone)
    if deadlines is None:
        deadlines = list(complaint.deadlines.all())
    due = {deadline.clock: deadline.due_at for deadline in deadlines}
    # The promise made to the consumer is the regulator's clock when there is one.
    final_due = next(
        (
            due[clock]
            for clock in (
                Clock.FINAL_RESPONSE,
                Clock.ADR_LETTER,
                Clock.INITIAL_RESPONSE,
                Clock.RESOLUTION,
            )
            if clock in due
        ),
        None,
    )
    redress = (
        format_amount(complaint.redress_amount, complaint.redress_currency)
        if complaint.redress_amount
        else "none"
    )
    values = {
        "consumer_name": consumer_name(complaint.consumer, tenant.regulatory_profile),
        "reference": complaint.reference,
        "subject": complaint.subject,
        "organisation": tenant.name,
        "received_date": _date(complaint.received_at, zone),
        "final_response_due": _date(final_due, zone),
        "response_promise": f"by {_date(final_due, zone)} at the latest"
        if final_due
        else "as soon as we can",
        "outcome": complaint.get_outcome_display().lower() if complaint.outcome else "",
        "redress": redress,
        "resolution_summary": markdown_to_plain(complaint.resolution_summary),
        "fos_website": FOS_WEBSITE,
        "adr_scheme": DEFAULT_ADR_SCHEME,
        "holding_reason": "",
        "expected_date": "",
        "progress_steps": "",
    }
    values.update(extra)
    return values


def compose(
    complaint: Complaint,
    tenant: Tenant,
    kind: LetterKind,
    deadlines: Sequence[Deadline] | None = None,
    **extra: str,
) -> tuple[str, str]:
    """The subject and body of a letter, filled in and checked against the regulator's rules.

    ``deadlines`` are the complaint's deadlines when the caller holds them (a new
    complaint's, planned and not yet stored); otherwise they are read."""
    subject, body = letter_wording(tenant.regulatory_profile, kind)
    values = letter_values(complaint, tenant, deadlines, **extra)
    return fill_letter(tenant.regulatory_profile, kind, subject, body, values)


def fill_letter(
    profile: str, kind: LetterKind, subject: str, body: str, values: dict[str, str]
) -> tuple[str, str]:
    """Wording filled in with ``values`` and checked against the profile's rules.

    Raises LetterError naming unknown placeholders (with the valid ones) or the content the
    regulator requires and the body lacks.
    """
    try:
        LETTER_PLACEHOLDERS.check(subject, body)
    except PlaceholderError as error:
        raise LetterError(str(error)) from error
    filled_subject = LETTER_PLACEHOLDERS.fill(subject, values)
    filled_body = LETTER_PLACEHOLDERS.fill(body, values)
    check_required_content(profile, kind, filled_body)
    return filled_subject, filled_body


@dataclass(frozen=True)
class LetterPreview:
    """A letter exactly as it would go, for a person to read before sending or approving.

    ``parts`` is the body in order: each piece of text with the descriptions of the regulator's
    requirements it meets (empty for plain text), so the required content can be highlighted.
    ``missing`` lists what the regulator requires and the letter lacks (it would be refused);
    ``error`` is set instead when the wording itself cannot be filled in.
    """

    kind: LetterKind
    subject: str = ""
    parts: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    error: str = ""


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The bounds of the sentence (or line) around ``text[start:end]``."""
    full_stop = text.rfind(". ", 0, start)
    before = max(full_stop + 2 if full_stop >= 0 else 0, text.rfind("\n", 0, start) + 1)
    stops = [i for i in (text.find(". ", end), text.find("\n", end)) if i >= 0]
    if not stops:
        return before, len(text)
    stop = min(stops)
    return before, stop + 1 if text[stop] == "." else stop


def preview_letter(
    complaint: Complaint, tenant: Tenant, kind: LetterKind, **values: str
) -> LetterPreview:
    """The letter of ``kind`` for ``complaint`` with ``values`` (as the change would fill them)
    and the sentences that carry the regulator's required content marked. Never raises: what
    sending would refuse is reported in ``missing`` or ``error``."""
    profile = tenant.regulatory_profile
    subject, body = letter_wording(profile, kind)
    try:
        LETTER_PLACEHOLDERS.check(subject, body)
    except PlaceholderError as error:
        return LetterPreview(kind, error=str(error))
    filled = letter_values(complaint, tenant, None, **values)
    subject = LETTER_PLACEHOLDERS.fill(subject, filled)
    body = LETTER_PLACEHOLDERS.fill(body, filled)
    marks: list[tuple[int, int, str]] = []
    missing = []
    for requirement in regulator_for(profile).required.get(kind, ()):
        found = re.search(requirement.pattern, body, flags=re.IGNORECASE)
        if found is None:
            missing.append(requirement.description)
            continue
        marks.append((*_sentence(body, found.start(), found.end()), requirement.description))
    parts: list[tuple[str, tuple[str, ...]]] = []
    position = 0
    for start, end, descriptions in _merged(marks):
        if start > position:
            parts.append((body[position:start], ()))
        parts.append((body[start:end], descriptions))
        position = end
    if position < len(body):
        parts.append((body[position:], ()))
    return LetterPreview(kind, subject, parts, missing)


def _merged(marks: list[tuple[int, int, str]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Overlapping marked spans as one, with all their descriptions, in text order."""
    merged: list[tuple[int, int, tuple[str, ...]]] = []
    for start, end, description in sorted(marks):
        if merged and start < merged[-1][1]:
            first, last, descriptions = merged[-1]
            merged[-1] = (first, max(last, end), (*descriptions, description))
        else:
            merged.append((start, end, (description,)))
    return merged
