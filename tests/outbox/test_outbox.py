"""The outbox: side effects written with the change, delivered at least once, sent once."""

from __future__ import annotations

import socket
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from smtplib import SMTPRecipientsRefused
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint, Event, LetterKind
from complaints.services import add_internal_note, reply_to_complaint, send_holding_response
from configuration.models import TenantSettings
from outbox.models import Message
from outbox.services import (
    claim_messages,
    deliver,
    deliver_due,
    deliveries_held,
    enqueue_email,
    send_claimed,
)
from outbox.tasks import deliver_due_messages, deliver_message
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user

REFUSING_BACKEND = "tests.outbox.test_outbox.RefusingBackend"
CaptureCallbacks = Callable[..., Any]


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every recipient, naming the address in its error."""

    def send_messages(self, email_messages: Any) -> int:
        recipient = email_messages[0].to[0]
        raise SMTPRecipientsRefused({recipient: (550, f"{recipient}: no such user".encode())})


def branded(**values: str) -> None:
    """Change the bank's branding in its settings row."""
    row = TenantSettings.editable()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()


def queue(key: str = "welcome:1", recipient: str = "casey@example.com", **kwargs: str) -> Message:
    kwargs.setdefault("subject", "Welcome")
    kwargs.setdefault("body", "Hello Casey")
    return enqueue_email(key=key, recipient=recipient, **kwargs)


def closed_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stored(message: Message) -> Message:
    return Message.objects.get(pk=message.pk)


def pending(key: str, **fields: Any) -> Message:
    """A message as a crashed worker or a lost broker would leave it."""
    return Message.objects.create(
        key=key, recipient=f"{key}@example.com", subject=key, body=f"Body of {key}", **fields
    )


# --- queueing -------------------------------------------------------------------------------


def test_enqueue_is_idempotent_per_key(
    bank: Tenant, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        first = queue(body="First version")
        again = queue(recipient="someone@example.com", body="Second version")

    assert again.pk == first.pk
    assert Message.objects.filter(key="welcome:1").count() == 1
    assert stored(first).recipient == "casey@example.com"
    assert stored(first).body.startswith("First version")
    assert len(callbacks) == 1


def test_nothing_is_sent_before_the_transaction_commits(
    bank: Tenant, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        message = queue()

    assert mail.outbox == []
    assert stored(message).status == Message.Status.PENDING


def test_committed_message_is_delivered_exactly_once(
    bank: Tenant, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(subject="Your complaint", body="We received it.")
        queue(subject="Your complaint", body="We received it.")

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject, sent.body) == (
        ["casey@example.com"],
        "Your complaint",
        "We received it.\n\n-- \nNorthwind Bank",
    )
    assert sent.from_email == f"Northwind Bank <{settings.DEFAULT_FROM_EMAIL}>"
    row = stored(message)
    assert (row.status, row.attempts, row.last_error) == (Message.Status.SENT, 1, "")
    assert row.sent_at is not None


def test_a_retried_delivery_sends_nothing_more(
    bank: Tenant, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = queue()
    sent_at = stored(message).sent_at

    assert deliver(message.pk) is False
    assert deliver_message.delay(message.pk).get() is False
    assert deliver_due() == 0

    assert len(mail.outbox) == 1
    row = stored(message)
    assert (row.attempts, row.sent_at) == (1, sent_at)


# --- failures -------------------------------------------------------------------------------


def test_failed_attempt_records_only_the_error_class_and_backs_off(bank: Tenant) -> None:
    message = pending("refused")

    with override_settings(EMAIL_BACKEND=REFUSING_BACKEND):
        before = timezone.now()
        assert deliver(message.pk) is False
        after = timezone.now()

    row = stored(message)
    assert (row.status, row.attempts) == (Message.Status.PENDING, 1)
    # The class name only: the server's message names the recipient.
    assert row.last_error == "SMTPRecipientsRefused"
    assert before + timedelta(minutes=1) <= row.next_attempt_at <= after + timedelta(minutes=1)
    assert row.sent_at is None
    assert mail.outbox == []
    # Not due again until the back-off has passed.
    assert deliver_due() == 0


def test_delivery_succeeds_once_the_mail_server_accepts_again(bank: Tenant) -> None:
    message = pending("flaky")
    with override_settings(EMAIL_BACKEND=REFUSING_BACKEND):
        deliver(message.pk)
        deliver(message.pk)
    assert stored(message).attempts == 2

    assert deliver(message.pk) is True

    row = stored(message)
    assert (row.status, row.attempts) == (Message.Status.SENT, 3)
    assert [sent.to for sent in mail.outbox] == [["flaky@example.com"]]


def test_back_off_doubles_from_one_minute_up_to_an_hour() -> None:
    minutes = [Message.backoff(attempt) / timedelta(minutes=1) for attempt in range(1, 10)]

    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_message_fails_for_good_after_max_attempts(bank: Tenant) -> None:
    message = pending("bounced")
    waits = []

    with override_settings(EMAIL_BACKEND=REFUSING_BACKEND):
        for attempt in range(1, Message.MAX_ATTEMPTS + 1):
            assert stored(message).status == Message.Status.PENDING
            before = timezone.now()
            assert deliver(message.pk) is False
            row = stored(message)
            assert row.attempts == attempt
            waits.append(round((row.next_attempt_at - before) / timedelta(minutes=1)))

    row = stored(message)
    assert row.status == Message.Status.FAILED
    assert row.last_error == "SMTPRecipientsRefused"
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    # A failed message is never tried again, even once the server works.
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert deliver(message.pk) is False
    assert deliver_due() == 0
    assert stored(message).attempts == Message.MAX_ATTEMPTS
    assert mail.outbox == []


# --- the sweep ------------------------------------------------------------------------------


def test_deliver_due_sends_due_pending_messages_only(bank: Tenant) -> None:
    now = timezone.now()
    pending("due", next_attempt_at=now - timedelta(minutes=1))
    pending("later", next_attempt_at=now + timedelta(minutes=10))
    pending("sent", status=Message.Status.SENT, next_attempt_at=now - timedelta(hours=1))
    pending("failed", status=Message.Status.FAILED, next_attempt_at=now - timedelta(hours=1))

    assert deliver_due() == 1

    assert [sent.to for sent in mail.outbox] == [["due@example.com"]]
    assert Message.objects.get(key="later").status == Message.Status.PENDING


def test_deliver_due_takes_the_oldest_first_up_to_its_limit(bank: Tenant) -> None:
    older = pending("older", next_attempt_at=timezone.now() - timedelta(minutes=5))
    newer = pending("newer", next_attempt_at=timezone.now() - timedelta(minutes=5))

    assert deliver_due(limit=1) == 1

    assert stored(older).status == Message.Status.SENT
    assert stored(newer).status == Message.Status.PENDING


def test_periodic_delivery_sweeps_each_schema_the_platform_included(
    bank: Tenant, activate: Callable[[Tenant], Tenant], public_tenant: Tenant
) -> None:
    activate(bank)
    pending("swept", next_attempt_at=timezone.now() - timedelta(minutes=1))
    activate(public_tenant)
    pending("platform", next_attempt_at=timezone.now() - timedelta(minutes=1))

    assert deliver_due_messages.delay().get() == 1
    assert [sent.to for sent in mail.outbox] == [["platform@example.com"]]

    activate(bank)
    assert deliver_due_messages.delay().get() == 1
    assert [sent.to for sent in mail.outbox] == [["platform@example.com"], ["swept@example.com"]]


def test_beat_sweeps_every_tenant_and_the_platform_every_minute() -> None:
    tenants = settings.CELERY_BEAT_SCHEDULE["deliver-outbox"]
    platform = settings.CELERY_BEAT_SCHEDULE["deliver-platform-outbox"]

    assert tenants["task"] == platform["task"] == "outbox.tasks.deliver_due_messages"
    assert "tenant_schemas" not in tenants  # every customer tenant
    assert platform["tenant_schemas"] == ["public"]
    assert tenants["schedule"] == platform["schedule"] == 60.0


# --- tenants --------------------------------------------------------------------------------


def test_messages_of_one_tenant_are_invisible_in_another(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(bank)
    bank_message = pending("shared-key", next_attempt_at=timezone.now() - timedelta(minutes=1))

    activate(telco)
    assert not Message.objects.filter(key="shared-key").exists()
    assert deliver(bank_message.pk) is False
    assert deliver_due() == 0
    # The same key is free in the other tenant's outbox.
    telco_message = queue(key="shared-key", recipient="robin@example.com")
    assert Message.objects.get(key="shared-key").recipient == "robin@example.com"

    activate(bank)
    assert stored(bank_message).status == Message.Status.PENDING
    assert Message.objects.get(key="shared-key").recipient == "shared-key@example.com"
    assert not Message.objects.filter(recipient="robin@example.com").exists()
    assert mail.outbox == []
    assert telco_message.pk is not None


def test_delivery_task_works_in_the_tenant_that_queued_it(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(bank)
    message = pending("bank-only")

    activate(telco)
    # As a worker receives it: the schema travels in the task headers.
    result = deliver_message.apply_async((message.pk,), headers={"_schema_name": bank.schema_name})

    assert result.get() is True
    assert [sent.to for sent in mail.outbox] == [["bank-only@example.com"]]
    activate(bank)
    assert stored(message).status == Message.Status.SENT


# --- what the complaint services queue -------------------------------------------------------


@pytest.fixture
def staff(agent: User) -> User:
    return as_request_user(agent)


def new_messages(since: set[int]) -> list[Message]:
    return list(Message.objects.exclude(pk__in=since))


def test_internal_note_never_yields_a_message_to_the_consumer(
    complaint: Complaint,
    staff: User,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    complaint.assignee = staff
    complaint.save(update_fields=["assignee"])
    before = set(Message.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        add_internal_note(complaint, "Customer has complained twice before.", actor=staff)

    assert new_messages(before) == []
    assert mail.outbox == []


def test_staff_reply_is_emailed_to_the_consumer_with_a_link_to_the_complaint(
    complaint: Complaint,
    staff: User,
    consumer: User,
    bank: Tenant,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    before = set(Message.objects.values_list("pk", flat=True))

    with django_capture_on_commit_callbacks(execute=True):
        event = reply_to_complaint(complaint, "We have refunded the second payment.", actor=staff)

    [message] = new_messages(before)
    assert message.key == f"event:{event.pk}:{consumer.pk}"
    assert message.recipient == consumer.email
    assert message.subject == f"New reply on your complaint {complaint.reference}"
    assert "We have refunded the second payment." in message.body
    assert f"{bank.base_url}/complaints/{complaint.reference}/" in message.body
    assert [sent.to for sent in mail.outbox] == [[consumer.email]]


def test_consumer_reply_is_emailed_to_the_assignee_not_the_consumer(
    complaint: Complaint, consumer: User, agent: User
) -> None:
    complaint.assignee = agent
    complaint.save(update_fields=["assignee"])
    before = set(Message.objects.values_list("pk", flat=True))

    reply_to_complaint(complaint, "Any news?", actor=as_request_user(consumer))

    assert [message.recipient for message in new_messages(before)] == [agent.email]
    assert "/console/complaints/" in new_messages(before)[0].body


def test_letter_email_carries_the_letter(
    complaint: Complaint,
    consumer: User,
    manager: User,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    with (
        time_machine.travel(datetime(2026, 12, 1, 10, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        event = send_holding_response(
            complaint, "we are waiting for the card scheme", date(2026, 12, 14), actor=manager
        )

    message = Message.objects.get(key=f"letter:{event.pk}")
    assert message.recipient == consumer.email
    assert message.subject == event.data["subject"]
    assert message.body.startswith(event.body)
    assert "because we are waiting for the card scheme" in message.body
    assert "14 December 2026" in message.body
    assert [sent.body for sent in mail.outbox] == [message.body]


def test_acknowledgement_email_of_a_submission_is_the_acknowledgement_letter(
    make_complaint: Callable[..., Complaint],
    consumer: User,
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        complaint = make_complaint()

    letter = Event.objects.get(complaint=complaint, kind=Event.Kind.LETTER)
    assert letter.data["letter"] == LetterKind.ACKNOWLEDGEMENT
    [sent] = mail.outbox
    assert sent.to == [consumer.email]
    assert sent.subject == f"We have received your complaint {complaint.reference}"
    assert sent.body.startswith(letter.body)
    assert complaint.reference in sent.body


# --- branding -------------------------------------------------------------------------------


def test_message_is_sent_in_the_tenants_branding_with_an_html_alternative(
    bank: Tenant, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    branded(display_name="Northwind Bank plc", primary_colour="#7a1f5c")

    with django_capture_on_commit_callbacks(execute=True):
        queue(
            subject="Your <complaint>",
            body="Fees & charges: see https://bank.example/fees\n\nSecond paragraph.",
        )

    [sent] = mail.outbox
    assert sent.from_email == f"Northwind Bank plc <{settings.DEFAULT_FROM_EMAIL}>"
    assert sent.body.endswith("\n\n-- \nNorthwind Bank plc")
    [(html, mimetype)] = sent.alternatives
    assert mimetype == "text/html"
    assert "background:#7a1f5c" in html
    assert "Northwind Bank plc" in html
    # The text is escaped, links become links, paragraphs stay paragraphs.
    assert "Fees &amp; charges" in html
    assert '<a href="https://bank.example/fees"' in html
    assert "<p>Second paragraph.</p>" in html
    assert "<title>Your &lt;complaint&gt;</title>" in html


def test_branding_is_the_tenants_own(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(telco)
    message = queue()

    assert message.from_email == f"Contoso Telecom <{settings.DEFAULT_FROM_EMAIL}>"
    assert message.body.endswith("-- \nContoso Telecom")
    assert "background:#1e3a8a" in message.html_body


def test_platform_messages_are_sent_as_the_platform(public_tenant: Tenant) -> None:
    message = queue()

    assert message.from_email == f"Complaints platform <{settings.DEFAULT_FROM_EMAIL}>"
    assert message.body.endswith("-- \nComplaints platform")


def test_a_display_name_never_spans_header_lines(bank: Tenant) -> None:
    branded(display_name="Northwind\r\nBcc: victim@example.com")

    message = queue(subject="Line\r\nBreak")

    assert (
        message.from_email == f'"Northwind Bcc: victim@example.com" <{settings.DEFAULT_FROM_EMAIL}>'
    )
    assert message.subject == "Line Break"


# --- claims ---------------------------------------------------------------------------------


def test_a_message_claimed_by_a_live_worker_is_left_alone(bank: Tenant) -> None:
    message = pending("claimed", next_attempt_at=timezone.now() - timedelta(minutes=1))
    [claimed] = claim_messages()

    assert claimed.pk == message.pk
    assert claim_messages() == []
    assert deliver(message.pk) is False
    assert deliver_due() == 0
    assert mail.outbox == []
    row = stored(message)
    assert (row.attempts, row.status) == (1, Message.Status.PENDING)
    assert row.claimed_until is not None


def test_the_claim_of_a_crashed_worker_runs_out_and_the_sweep_sends_the_message(
    bank: Tenant,
) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        message = pending("orphaned")
        claim_messages()  # ... and the worker dies before sending.

        clock.shift(Message.LEASE - timedelta(seconds=1))
        assert deliver_due() == 0

        clock.shift(timedelta(seconds=1))
        assert deliver_due() == 1

    row = stored(message)
    assert (row.status, row.attempts, row.claim, row.claimed_until) == (
        Message.Status.SENT,
        2,
        None,
        None,
    )
    assert row.sent_at == start + Message.LEASE
    assert [sent.to for sent in mail.outbox] == [["orphaned@example.com"]]


def test_a_result_is_not_recorded_over_a_newer_workers_claim(bank: Tenant) -> None:
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        pending("slow")
        [slow_worker] = claim_messages()
        clock.shift(Message.LEASE)
        [second_worker] = claim_messages()

        # The first worker finally fails; the second one's claim stands.
        with override_settings(EMAIL_BACKEND=REFUSING_BACKEND):
            assert send_claimed([slow_worker]) == 0
        row = Message.objects.get(key="slow")
        assert (row.claim, row.last_error) == (second_worker.claim, "")

        assert send_claimed([second_worker]) == 1
    assert Message.objects.get(key="slow").status == Message.Status.SENT


def test_an_unreachable_mail_server_counts_as_a_failed_attempt_for_the_batch(
    bank: Tenant,
) -> None:
    first = pending("first", next_attempt_at=timezone.now() - timedelta(minutes=1))
    second = pending("second", next_attempt_at=timezone.now() - timedelta(minutes=1))

    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=closed_port(),
    ):
        assert deliver_due() == 0

    for message in (first, second):
        row = stored(message)
        assert (row.status, row.attempts, row.last_error) == (
            Message.Status.PENDING,
            1,
            "ConnectionRefusedError",
        )
        assert row.claim is None


def test_delivery_follows_the_schema_that_queued_the_message(
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
    django_capture_on_commit_callbacks: CaptureCallbacks,
) -> None:
    activate(bank)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = queue(key="bank-note", recipient="robin@example.com")

    # The transaction commits while the connection has moved on to another tenant.
    activate(telco)
    for callback in callbacks:
        callback()

    assert [sent.to for sent in mail.outbox] == [["robin@example.com"]]
    activate(bank)
    assert stored(message).status == Message.Status.SENT


def test_mail_queued_while_deliveries_are_held_waits_for_one_batched_delivery(
    bank: Tenant, django_capture_on_commit_callbacks: CaptureCallbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks, deliveries_held():
        for number in range(3):
            enqueue_email(key=f"bulk-{number}", recipient="a@example.com", subject="S", body="B")
    assert callbacks == []
    assert mail.outbox == []

    assert deliver_due() == 3
    assert sorted(message.subject for message in mail.outbox) == ["S", "S", "S"]
    assert not Message.objects.filter(status=Message.Status.PENDING).exists()

    # Outside the block every message asks for its own delivery again.
    with django_capture_on_commit_callbacks() as callbacks:
        enqueue_email(key="single", recipient="a@example.com", subject="S", body="B")
    assert len(callbacks) == 1
