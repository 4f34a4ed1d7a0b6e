"""The periodic deadline watch: at-risk warnings, breaches, automatic ADR letters, per tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, User
from complaints import tasks
from complaints.models import (
    Complaint,
    Event,
    LetterKind,
    Priority,
    Status,
    Team,
)
from complaints.services import (
    mark_met,
    pause_sla,
    refresh_deadlines,
    scan_deadlines,
    submit_complaint,
)
from complaints.services.watch import local_time
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline, SlaPolicy
from outbox.models import Message
from tenancy.models import Tenant
from tests.complaints.conftest import put_in_status
from tests.conftest import create_user
from tests.deadlines.conftest import deadlines_of, stored

NOTHING = {"at_risk": 0, "breached": 0, "letters": 0}

MakeComplaint = Callable[..., Complaint]


# The scan compares stored deadlines with the time of the scan; several clocks end at the end
# of a local day, so a result must not depend on the hour the suite runs. Every test here
# runs at a fixed Wednesday noon (UTC, and London in winter), with time moving on from there.
SCAN_TIME = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def scan_time() -> Iterator[None]:
    with time_machine.travel(SCAN_TIME, tick=True):
        yield


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def recipients(complaint: Complaint) -> list[str]:
    """Who the outbox writes to about ``complaint`` (every message names its reference)."""
    return sorted(
        Message.objects.filter(body__contains=complaint.reference).values_list(
            "recipient", flat=True
        )
    )


def deadline_events(complaint: Complaint) -> list[tuple[str, str, bool]]:
    return [
        (event.data["clock"], event.data["state"], event.is_internal)
        for event in Event.objects.filter(complaint=complaint, kind=Event.Kind.DEADLINE)
    ]


@pytest.fixture
def handled(
    make_complaint: MakeComplaint, front_line: Team, agent: User, manager: User
) -> MakeComplaint:
    """Complaints in the front-line queue, assigned to ``agent``; ``manager`` runs the team."""
    front_line.manager = manager
    front_line.save(update_fields=["manager"])

    def make(**kwargs: object) -> Complaint:
        complaint = make_complaint(**kwargs)
        complaint.team, complaint.assignee = front_line, agent
        complaint.save(update_fields=["team", "assignee"])
        return complaint

    return make


def final_response(complaint: Complaint) -> Deadline:
    return deadlines_of(complaint)[Clock.FINAL_RESPONSE]


# --- at risk --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "written"),
    [
        (datetime(2026, 11, 18, 23, 59, tzinfo=UTC), "18 Nov 2026, 23:59 GMT"),
        (datetime(2026, 6, 1, 7, 5, tzinfo=UTC), "1 Jun 2026, 08:05 BST"),
    ],
)
def test_alerts_write_a_due_moment_as_pages_do_with_the_tenants_zone(
    moment: datetime, written: str
) -> None:
    assert local_time(moment, ZoneInfo("Europe/London")) == written


def test_deadline_within_the_at_risk_window_is_flagged_once(
    handled: MakeComplaint, agent: User, manager: User, consumer: User
) -> None:
    policy = TenantSettings.current()
    policy.at_risk_hours = 4
    policy.save(update_fields=["at_risk_hours"])
    complaint = handled(received_at=days_ago(30))
    due = final_response(complaint).due_at
    now = due - timedelta(hours=2)
    messages_before = Message.objects.count()

    assert scan_deadlines(now) == {"at_risk": 1, "breached": 0, "letters": 0}

    deadline = final_response(complaint)
    assert deadline.at_risk_notified_at == now
    assert deadline.breached_at is None
    assert deadline_events(complaint) == [("final_response", "at_risk", True)]
    new = Message.objects.order_by("pk")[messages_before:]
    assert sorted(message.recipient for message in new) == sorted([agent.email, manager.email])
    assert consumer.email not in [message.recipient for message in new]
    assert all(message.subject == "Deadline alerts: 1 complaint" for message in new)
    assert all("final response deadline is close" in message.body for message in new)
    written_due = f"due {local_time(due, ZoneInfo('Europe/London'))}."
    assert all(written_due in message.body for message in new)
    assert stored(complaint).escalation_level == 0

    assert scan_deadlines(now + timedelta(minutes=30)) == NOTHING
    assert len(deadline_events(complaint)) == 1
    assert Message.objects.count() == messages_before + 2


@pytest.mark.parametrize(
    ("at_risk_hours", "hours_before_due", "flagged"),
    [(24, 23, True), (24, 25, False), (48, 47, True), (48, 49, False)],
)
def test_the_at_risk_window_is_the_tenants_setting(
    handled: MakeComplaint, at_risk_hours: int, hours_before_due: int, flagged: bool
) -> None:
    policy = TenantSettings.current()
    policy.at_risk_hours = at_risk_hours
    policy.save(update_fields=["at_risk_hours"])
    complaint = handled(received_at=days_ago(30))
    due = final_response(complaint).due_at

    counts = scan_deadlines(due - timedelta(hours=hours_before_due))

    assert counts["at_risk"] == int(flagged)
    assert (final_response(complaint).at_risk_notified_at is not None) is flagged


# --- breached -------------------------------------------------------------------------------


def test_past_deadline_is_breached_once_escalated_and_staff_told(
    handled: MakeComplaint, agent: User, manager: User, consumer: User
) -> None:
    complaint = handled(received_at=days_ago(60))
    now = timezone.now()

    assert scan_deadlines(now) == {"at_risk": 0, "breached": 1, "letters": 0}

    deadline = final_response(complaint)
    assert deadline.breached_at == now
    assert deadline.at_risk_notified_at == now
    row = stored(complaint)
    assert row.escalation_level == 1
    assert row.priority == Priority.HIGH
    assert deadline_events(complaint) == [("final_response", "breached", True)]
    escalation = Event.objects.get(complaint=complaint, kind=Event.Kind.ESCALATED)
    assert escalation.is_internal
    assert escalation.actor is None
    assert escalation.body == "Final response deadline missed."
    # The consumer only ever got the acknowledgement; staff got the alert and the escalation.
    assert recipients(complaint) == sorted(
        [consumer.email, agent.email, manager.email, manager.email]
    )
    assert Message.objects.filter(recipient=consumer.email).count() == 1

    assert scan_deadlines() == NOTHING
    assert stored(complaint).escalation_level == 1
    assert len(deadline_events(complaint)) == 1
    assert Event.objects.filter(complaint=complaint, kind=Event.Kind.ESCALATED).count() == 1


def test_warned_deadline_is_breached_when_due_and_keeps_its_warning_time(
    handled: MakeComplaint,
) -> None:
    policy = TenantSettings.current()
    policy.at_risk_hours = 4
    policy.save(update_fields=["at_risk_hours"])
    complaint = handled(received_at=days_ago(30))
    due = final_response(complaint).due_at
    warned_at = due - timedelta(hours=3)
    scan_deadlines(warned_at)

    assert scan_deadlines(due + timedelta(minutes=1)) == {"at_risk": 0, "breached": 1, "letters": 0}
    assert scan_deadlines(due + timedelta(hours=5)) == NOTHING

    deadline = final_response(complaint)
    assert deadline.at_risk_notified_at == warned_at
    assert deadline.breached_at == due + timedelta(minutes=1)
    assert [state for _, state, _ in deadline_events(complaint)] == ["at_risk", "breached"]
    assert stored(complaint).escalation_level == 1


def test_breach_of_an_unassigned_complaint_without_a_manager_still_escalates(
    make_complaint: MakeComplaint, consumer: User
) -> None:
    complaint = make_complaint(received_at=days_ago(60))

    assert scan_deadlines()["breached"] == 1

    assert stored(complaint).escalation_level == 1
    assert recipients(complaint) == [consumer.email]  # the acknowledgement only


def test_breached_sla_clocks_are_escalated_once_even_when_escalation_changes_the_targets(
    handled: MakeComplaint,
) -> None:
    # Escalation raises the priority to high; the high targets are shorter, so the SLA
    # clocks are recomputed, and still past. They must not be breached a second time.
    SlaPolicy.objects.create(priority=Priority.NORMAL, first_response_hours=8, resolution_hours=40)
    SlaPolicy.objects.create(priority=Priority.HIGH, first_response_hours=2, resolution_hours=16)
    complaint = handled(received_at=days_ago(20))

    first = scan_deadlines()
    level = stored(complaint).escalation_level

    assert first["breached"] == 2
    assert level >= 1
    assert scan_deadlines() == NOTHING
    assert scan_deadlines() == NOTHING
    assert stored(complaint).escalation_level == level
    rows = deadlines_of(complaint)
    assert rows[Clock.FIRST_RESPONSE].breached_at is not None
    assert rows[Clock.RESOLUTION].breached_at is not None


def test_recomputed_breached_deadline_is_not_breached_again(handled: MakeComplaint) -> None:
    complaint = handled(received_at=days_ago(60))
    scan_deadlines()
    assert stored(complaint).escalation_level == 1

    # The clock start is corrected by a day: the final response is still overdue.
    Complaint.objects.filter(pk=complaint.pk).update(received_at=days_ago(59))
    refresh_deadlines(stored(complaint))

    assert scan_deadlines() == NOTHING
    assert stored(complaint).escalation_level == 1


# --- what the scan leaves alone -------------------------------------------------------------


def test_paused_sla_clocks_are_not_flagged_while_regulatory_ones_are(
    handled: MakeComplaint,
) -> None:
    SlaPolicy.objects.create(priority=Priority.NORMAL, first_response_hours=4, resolution_hours=40)
    complaint = handled(received_at=days_ago(10))
    put_in_status(complaint, Status.AWAITING_CONSUMER)
    pause_sla(stored(complaint))

    assert scan_deadlines() == NOTHING

    rows = deadlines_of(complaint)
    for clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION):
        assert rows[clock].breached_at is None
        assert rows[clock].at_risk_notified_at is None
    assert deadline_events(complaint) == []

    # The 8-week regulatory clock does not pause.
    scan_deadlines(final_response(complaint).due_at + timedelta(minutes=1))
    assert final_response(complaint).breached_at is not None


def test_summary_resolution_opportunity_is_never_flagged(handled: MakeComplaint) -> None:
    complaint = handled(received_at=days_ago(10))
    summary = deadlines_of(complaint)[Clock.SUMMARY_RESOLUTION]
    assert summary.due_at < timezone.now()

    assert scan_deadlines() == NOTHING
    assert deadline_events(complaint) == []


def test_met_deadline_is_not_flagged(handled: MakeComplaint) -> None:
    complaint = handled(received_at=days_ago(60))
    mark_met(complaint, [Clock.FINAL_RESPONSE], days_ago(1))

    assert scan_deadlines() == NOTHING


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_inactive_complaints_are_ignored(handled: MakeComplaint, status: Status) -> None:
    complaint = put_in_status(handled(received_at=days_ago(60)), status)

    assert scan_deadlines() == NOTHING

    assert final_response(complaint).breached_at is None
    assert stored(complaint).escalation_level == 0
    assert deadline_events(complaint) == []


# --- Ofcom: the ADR letter goes out by itself -----------------------------------------------


@pytest.fixture
def telco_consumer(telco: Tenant) -> User:
    return create_user(Role.CONSUMER, "robin@example.com", full_name="Robin Caller")


def telco_complaint(consumer: User, received_at: datetime) -> Complaint:
    return submit_complaint(
        consumer=consumer,
        actor=consumer,
        subject="Broadband down for three weeks",
        description="No service since the engineer visit.",
        received_at=received_at,
    )


def test_due_adr_letter_is_sent_to_the_consumer_and_counts_as_met(
    telco_consumer: User,
) -> None:
    complaint = telco_complaint(telco_consumer, days_ago(57))
    adr = deadlines_of(complaint)[Clock.ADR_LETTER]
    assert adr.due_at < timezone.now()

    assert scan_deadlines() == {"at_risk": 0, "breached": 0, "letters": 1}

    letter = Event.objects.get(
        complaint=complaint, kind=Event.Kind.LETTER, data__letter="adr_letter"
    )
    assert not letter.is_internal
    assert "alternative dispute resolution" in letter.body
    message = Message.objects.get(key=f"letter:{letter.pk}")
    assert message.recipient == telco_consumer.email
    assert message.body.startswith(letter.body)
    row = stored(complaint)
    assert row.adr_letter_sent_at is not None
    assert deadlines_of(complaint)[Clock.ADR_LETTER].met_at == row.adr_letter_sent_at
    assert deadlines_of(complaint)[Clock.ADR_LETTER].breached_at is None
    assert row.next_due_at is None
    assert row.escalation_level == 0
    assert deadline_events(complaint) == []

    assert scan_deadlines() == NOTHING
    assert (
        Event.objects.filter(complaint=complaint, data__letter=LetterKind.ADR_LETTER).count() == 1
    )


def test_adr_letter_is_sent_before_it_is_due_once_within_the_at_risk_margin(
    telco_consumer: User,
) -> None:
    complaint = telco_complaint(telco_consumer, days_ago(50))
    due = deadlines_of(complaint)[Clock.ADR_LETTER].due_at
    # Two days before: neither within the 24-hour margin nor on the due day.
    assert scan_deadlines(due - timedelta(days=2)) == NOTHING
    assert stored(complaint).adr_letter_sent_at is None

    with time_machine.travel(due - timedelta(hours=20), tick=False):
        assert scan_deadlines() == {"at_risk": 0, "breached": 0, "letters": 1}

    adr = deadlines_of(complaint)[Clock.ADR_LETTER]
    assert adr.met_at is not None and adr.met_at < adr.due_at
    assert adr.at_risk_notified_at is None
    assert deadline_events(complaint) == []


def test_adr_letter_is_sent_on_its_due_day_even_with_a_short_margin(
    telco_consumer: User,
) -> None:
    policy = TenantSettings.current()
    policy.at_risk_hours = 1
    policy.save(update_fields=["at_risk_hours"])
    complaint = telco_complaint(telco_consumer, days_ago(50))
    due = deadlines_of(complaint)[Clock.ADR_LETTER].due_at  # 23:59:59 local

    with time_machine.travel(due - timedelta(hours=14), tick=False):
        assert scan_deadlines()["letters"] == 1

    assert stored(complaint).adr_letter_sent_at == due - timedelta(hours=14)


def test_one_digest_per_recipient_per_scan_lists_every_complaint(
    handled: MakeComplaint, agent: User, manager: User
) -> None:
    complaints = [handled(received_at=days_ago(60)) for _ in range(3)]
    assert scan_deadlines()["breached"] == 3

    digests = Message.objects.filter(subject__startswith="Deadline alerts")
    assert sorted(message.recipient for message in digests) == sorted([agent.email, manager.email])
    for message in digests:
        assert message.subject == "Deadline alerts: 3 complaints"
        assert all(complaint.reference in message.body for complaint in complaints)


def test_adr_letter_of_an_inactive_complaint_is_not_sent(telco_consumer: User) -> None:
    complaint = put_in_status(telco_complaint(telco_consumer, days_ago(57)), Status.WITHDRAWN)

    assert scan_deadlines() == NOTHING
    assert stored(complaint).adr_letter_sent_at is None


# --- running it per tenant ------------------------------------------------------------------


@pytest.fixture
def work_in_both_tenants(
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> Callable[[], tuple[Complaint, Complaint, Complaint]]:
    """A breached and an unanswered resolved complaint in the bank, a due ADR letter in telco."""

    def make() -> tuple[Complaint, Complaint, Complaint]:
        activate(telco)
        robin = create_user(Role.CONSUMER, "robin@example.com")
        adr_due = telco_complaint(robin, days_ago(57))
        activate(bank)
        casey = create_user(Role.CONSUMER, "casey@example.com")
        kwargs = {"consumer": casey, "actor": casey, "subject": "Fees", "description": "Too high"}
        breached = submit_complaint(received_at=days_ago(60), **kwargs)
        unanswered = put_in_status(submit_complaint(**kwargs), Status.RESOLVED)
        Complaint.objects.filter(pk=unanswered.pk).update(resolved_at=days_ago(31))
        return breached, unanswered, adr_due

    return make


def test_run_periodic_works_every_active_tenant_and_prints_a_summary_line(
    work_in_both_tenants: Callable[[], tuple[Complaint, Complaint, Complaint]],
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    breached, unanswered, adr_due = work_in_both_tenants()
    out = StringIO()

    call_command("run_periodic", stdout=out)

    # Each complaint's acknowledgement; the ADR letter; the bank's closing needs no e-mail.
    assert out.getvalue().splitlines() == [
        "telco: 0 at risk, 0 breached, 1 letters, 0 closed, 2 e-mails sent, 0 webhooks delivered",
        "bank: 0 at risk, 1 breached, 0 letters, 1 closed, 2 e-mails sent, 0 webhooks delivered",
        "platform: 0 e-mails sent",
    ]
    assert stored(breached).escalation_level == 1
    assert stored(unanswered).status == Status.CLOSED
    assert len(mail.outbox) == 4
    activate(telco)
    assert stored(adr_due).adr_letter_sent_at is not None


def test_run_periodic_skips_suspended_tenants(
    work_in_both_tenants: Callable[[], tuple[Complaint, Complaint, Complaint]],
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    breached, _, adr_due = work_in_both_tenants()
    Tenant.objects.filter(pk=telco.pk).update(status=Tenant.Status.SUSPENDED)
    out = StringIO()

    call_command("run_periodic", stdout=out)

    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["bank", "platform"]
    assert stored(breached).escalation_level == 1
    assert all(message.to != ["robin@example.com"] for message in mail.outbox)
    activate(telco)
    assert stored(adr_due).adr_letter_sent_at is None
    assert Message.objects.filter(status=Message.Status.PENDING).count() == 1


def test_periodic_tasks_skip_a_suspended_tenant(bank: Tenant, handled: MakeComplaint) -> None:
    complaint = handled(received_at=days_ago(60))
    unanswered = put_in_status(handled(), Status.RESOLVED)
    Complaint.objects.filter(pk=unanswered.pk).update(resolved_at=days_ago(31))
    bank.status = Tenant.Status.SUSPENDED

    assert tasks.scan_deadlines.delay().get() == {}
    assert tasks.auto_close_resolved.delay().get() == 0
    assert final_response(complaint).breached_at is None
    assert stored(unanswered).status == Status.RESOLVED

    bank.status = Tenant.Status.ACTIVE

    assert tasks.scan_deadlines.delay().get() == {"at_risk": 0, "breached": 1, "letters": 0}
    assert tasks.auto_close_resolved.delay().get() == 1


def test_periodic_tasks_do_nothing_in_the_public_schema(public_tenant: Tenant) -> None:
    assert tasks.scan_deadlines.delay().get() == {}
    assert tasks.auto_close_resolved.delay().get() == 0
