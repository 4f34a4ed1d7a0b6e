"""A communication meets its clock only once its e-mail is delivered (issue 8, item 4)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import override_settings

from accounts.models import User
from complaints.models import Complaint, Event, Team
from deadlines.models import Clock
from outbox.models import Message
from outbox.services import deliver
from tests.deadlines.conftest import FrozenTime, deadlines_of, london, stored
from tests.outbox.test_outbox import REFUSING_BACKEND

MakeComplaint = Callable[..., Complaint]

pytestmark = pytest.mark.usefixtures("england")


@pytest.fixture
def acknowledged(
    make_complaint: MakeComplaint, front_line: Team, agent: User, manager: User, frozen: FrozenTime
) -> Complaint:
    """A complaint whose acknowledgement (an FCA clock) is queued but not yet delivered."""
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    complaint = make_complaint(received_at=london(2026, 11, 16, 9))
    complaint.team, complaint.assignee = front_line, agent
    complaint.save(update_fields=["team", "assignee"])
    return complaint


def letter_message(complaint: Complaint) -> Message:
    letter = Event.objects.get(complaint=complaint, kind=Event.Kind.LETTER)
    return Message.objects.get(key=f"letter:{letter.pk}")


def test_a_delivered_letter_meets_its_clock_at_delivery(
    acknowledged: Complaint, frozen: FrozenTime
) -> None:
    message = letter_message(acknowledged)
    assert deadlines_of(acknowledged)[Clock.ACKNOWLEDGEMENT].met_by_message == message

    frozen.advance_to(london(2026, 11, 16, 9, 45))
    assert deliver(message.pk) is True

    assert deadlines_of(acknowledged)[Clock.ACKNOWLEDGEMENT].met_at == london(2026, 11, 16, 9, 45)


def test_a_letter_that_fails_for_good_reopens_its_clock_and_alerts_staff(
    acknowledged: Complaint, agent: User, manager: User
) -> None:
    message = letter_message(acknowledged)
    Message.objects.filter(pk=message.pk).update(attempts=Message.MAX_ATTEMPTS - 1)

    with override_settings(EMAIL_BACKEND=REFUSING_BACKEND):
        assert deliver(message.pk) is False

    ack = deadlines_of(acknowledged)[Clock.ACKNOWLEDGEMENT]
    assert (ack.met_at, ack.met_by_message) == (None, None)
    assert stored(acknowledged).next_due_at == ack.due_at
    alert = Event.objects.get(complaint=acknowledged, kind=Event.Kind.DEADLINE)
    assert alert.is_internal and alert.data["state"] == "undelivered"
    assert "could not be delivered (SMTPRecipientsRefused)" in alert.body
    assert "the acknowledgement deadline" in alert.body
    told = Message.objects.filter(key__startswith=f"event:{alert.pk}")
    assert sorted(told.values_list("recipient", flat=True)) == sorted([agent.email, manager.email])


def test_a_failing_retry_that_is_not_final_changes_nothing(acknowledged: Complaint) -> None:
    message = letter_message(acknowledged)

    with override_settings(EMAIL_BACKEND=REFUSING_BACKEND):
        assert deliver(message.pk) is False

    assert deadlines_of(acknowledged)[Clock.ACKNOWLEDGEMENT].met_at is not None
    assert not Event.objects.filter(complaint=acknowledged, kind=Event.Kind.DEADLINE).exists()


def test_line_breaks_in_user_text_never_reach_an_email_subject(
    make_complaint: MakeComplaint, frozen: FrozenTime
) -> None:
    from complaints.models import LetterKind, LetterTemplate

    LetterTemplate.objects.create(
        kind=LetterKind.ACKNOWLEDGEMENT,
        subject="About {subject}",
        body="Dear {consumer_name}, your reference is {reference}; we answer by "
        "{final_response_due}.",
    )
    complaint = make_complaint(
        received_at=london(2026, 11, 16, 9), subject="Fees\r\nBcc: someone@example.com"
    )

    subject = letter_message(complaint).subject
    assert subject == "About Fees Bcc: someone@example.com"
    assert deliver(letter_message(complaint).pk) is True
