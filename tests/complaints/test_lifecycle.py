"""The lifecycle services beyond plain status moves, against the database.

Routing and assignment, triage with its deadlines, second-line support, escalation,
resolution with the letters each regulator requires, the consumer's answer, automatic
closing, rating, merging, holding responses and the SLA pause. Every refusal is checked to
leave the complaint, its deadlines and the outbox exactly as they were.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import (
    Category,
    Complaint,
    Event,
    LetterKind,
    Outcome,
    Priority,
    RootCause,
    Status,
    Team,
)
from complaints.services import (
    ComplaintError,
    accept_resolution,
    add_internal_note,
    assign_complaint,
    auto_close_resolved,
    change_category,
    change_priority,
    change_status,
    escalate_complaint,
    hand_back,
    merge_complaint,
    move_to_team,
    rate_complaint,
    refer_to_specialist,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    send_holding_response,
)
from configuration.models import AssignmentStrategy, TenantSettings
from deadlines.models import Clock, Deadline, SlaPolicy
from deadlines.services import tenant_calendar
from outbox.models import Message
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user, put_in_status, snapshot
from tests.conftest import create_user

LONDON = ZoneInfo("Europe/London")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


# A Monday 10:00 in the tenant's time zone. No public holiday falls between it and late
# December, so every due time below can be counted by hand on a calendar.
RECEIVED = london(2025, 9, 1, 10, 0)
FCA_EIGHT_WEEKS = london(2025, 10, 27, 23, 59, 59)  # end of the 56th calendar day
FCA_15_BUSINESS_DAYS = london(2025, 9, 22, 23, 59, 59)  # end of the 15th business day
FCA_35_BUSINESS_DAYS = london(2025, 10, 20, 23, 59, 59)  # end of the 35th business day

# The tenant's SLA targets (first response / resolution, in business hours) and the due
# times they give for RECEIVED with a 09:00-17:00 Monday-Friday week.
SLA_HOURS = {
    Priority.LOW: (16, 80),
    Priority.NORMAL: (8, 40),
    Priority.HIGH: (4, 16),
    Priority.URGENT: (2, 8),
}
NORMAL_FIRST_RESPONSE = london(2025, 9, 2, 10, 0)  # 7 h on Monday, 1 h on Tuesday
NORMAL_RESOLUTION = london(2025, 9, 8, 10, 0)  # 7 + 4 x 8 h, then 1 h the next Monday
HIGH_FIRST_RESPONSE = london(2025, 9, 1, 14, 0)
HIGH_RESOLUTION = london(2025, 9, 3, 10, 0)

FOS_NAME = "Financial Ombudsman Service"
FOS_WEBSITE = "www.financial-ombudsman.org.uk"

# Everything a refused change must leave alone, beyond the status fields ``snapshot`` reads.
TRACKED_FIELDS = (
    "team_id",
    "assignee_id",
    "specialist_id",
    "priority",
    "category_id",
    "escalation_level",
    "outcome",
    "resolution_summary",
    "root_cause_id",
    "redress_amount",
    "satisfaction_score",
    "merged_into_id",
    "next_due_at",
    "sla_paused_since",
    "sla_paused_for",
    "holding_response_sent_at",
    "adr_letter_sent_at",
)


def exactly(message: str) -> str:
    """A ``pytest.raises`` pattern matching ``message`` and nothing more."""
    return f"^{re.escape(message)}$"


def state(complaint: Complaint) -> dict[str, Any]:
    """The complaint, its deadlines and the whole outbox, read from the database."""
    row = Complaint.objects.get(pk=complaint.pk)
    return {
        **snapshot(complaint),
        **{name: getattr(row, name) for name in TRACKED_FIELDS},
        "deadlines": list(
            Deadline.objects.filter(complaint=row)
            .order_by("clock")
            .values_list("clock", "due_at", "met_at", "breached_at")
        ),
        "outbox": list(Message.objects.order_by("pk").values_list("pk", flat=True)),
    }


@contextmanager
def refused(message: str, *complaints: Complaint) -> Iterator[None]:
    """The block must raise ``message`` and leave ``complaints`` and the outbox untouched."""
    before = [state(complaint) for complaint in complaints]
    with pytest.raises(ComplaintError, match=exactly(message)):
        yield
    assert [state(complaint) for complaint in complaints] == before


def new_events(complaint: Complaint, before: dict[str, Any]) -> list[Event]:
    return list(complaint.events.exclude(pk__in=before["events"]))


def letters(complaint: Complaint) -> list[str]:
    """The kinds of letter on the complaint's timeline, in the order they were sent."""
    return [event.data["letter"] for event in complaint.events.filter(kind=Event.Kind.LETTER)]


def letter(complaint: Complaint, kind: LetterKind) -> Event:
    return complaint.events.get(kind=Event.Kind.LETTER, data__letter=kind)


def mail_to(user: User) -> list[Message]:
    return list(Message.objects.filter(recipient=user.email).order_by("pk"))


def due(complaint: Complaint, clock: Clock) -> datetime:
    return Deadline.objects.get(complaint=complaint, clock=clock).due_at


def deadline(complaint: Complaint, clock: Clock) -> Deadline:
    return Deadline.objects.get(complaint=complaint, clock=clock)


def set_policy(*, default_team: Team | None = None, **values: Any) -> TenantSettings:
    if default_team is not None:
        default_team.is_default = True
        default_team.save(update_fields=["is_default"])
    policy = TenantSettings.current()
    for name, value in values.items():
        setattr(policy, name, value)
    policy.save()
    return policy


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def boss(manager: User) -> User:
    return as_request_user(manager)


@pytest.fixture
def owner(consumer: User) -> User:
    return as_request_user(consumer)


@pytest.fixture
def stranger(other_consumer: User) -> User:
    return as_request_user(other_consumer)


@pytest.fixture
def outsider_agent(other_agent: User) -> User:
    """An agent of another team, with their second factor."""
    return as_request_user(other_agent)


@pytest.fixture
def teammate(make_user: Callable[..., User], front_line: Team) -> User:
    user = make_user(Role.AGENT, "toni@example.com", full_name="Toni Teammate")
    front_line.members.add(user)
    return user


@pytest.fixture
def sla_policies(bank: Tenant) -> None:
    for priority, (first, resolution) in SLA_HOURS.items():
        SlaPolicy.objects.create(
            priority=priority, first_response_hours=first, resolution_hours=resolution
        )


@pytest.fixture
def payments(category: Category) -> Category:
    """A payment-services cause: the FCA's 15/35 business-day clock applies."""
    return Category.objects.create(
        name="Card payments", parent=category.parent, payment_services=True
    )


@pytest.fixture
def aged(
    sla_policies: None,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    category: Category,
) -> Complaint:
    """A complaint received at RECEIVED, in the front line's queue, with SLA clocks."""
    made = make_complaint(received_at=RECEIVED, category=category)
    made.team = front_line
    made.save(update_fields=["team"])
    return made


@pytest.fixture
def fresh(
    sla_policies: None, make_complaint: Callable[..., Complaint], front_line: Team
) -> Complaint:
    """A complaint received just now, in the front line's queue, with SLA clocks."""
    made = make_complaint()
    made.team = front_line
    made.save(update_fields=["team"])
    return made


def resolve(
    complaint: Complaint,
    actor: User,
    root_cause: RootCause,
    outcome: Outcome = Outcome.UPHELD,
    **extra: Any,
) -> Event:
    return resolve_complaint(
        complaint,
        outcome=outcome,
        summary="We refunded the second payment of £84.20.",
        root_cause=root_cause,
        actor=actor,
        **extra,
    )


# --- routing on submission ------------------------------------------------------------------


def test_new_complaint_goes_to_the_team_of_its_category(
    make_complaint: Callable[..., Complaint],
    category: Category,
    front_line: Team,
    other_team: Team,
) -> None:
    category.team = other_team
    category.save(update_fields=["team"])
    set_policy(default_team=front_line)

    made = make_complaint(category=category)

    made.refresh_from_db()
    assert made.team == other_team
    assert made.assignee is None


def test_new_complaint_without_a_category_team_goes_to_the_default_team(
    make_complaint: Callable[..., Complaint], category: Category, front_line: Team
) -> None:
    set_policy(default_team=front_line)

    with_category = make_complaint(category=category)
    without_category = make_complaint()

    assert Complaint.objects.get(pk=with_category.pk).team == front_line
    assert Complaint.objects.get(pk=without_category.pk).team == front_line


def test_new_complaint_stays_unrouted_without_a_category_team_or_default_team(
    make_complaint: Callable[..., Complaint], category: Category
) -> None:
    made = make_complaint(category=category)
    made.refresh_from_db()
    assert (made.team, made.assignee) == (None, None)


def test_manual_assignment_leaves_a_routed_complaint_unassigned(
    make_complaint: Callable[..., Complaint], front_line: Team, agent: User
) -> None:
    set_policy(default_team=front_line, assignment_strategy=AssignmentStrategy.MANUAL)

    made = make_complaint()

    made.refresh_from_db()
    assert (made.team, made.assignee) == (front_line, None)
    assert mail_to(agent) == []


@pytest.fixture
def cards(make_user: Callable[..., User], bank: Tenant) -> SimpleNamespace:
    """A team whose members, in id order, mix agents who can and cannot take complaints."""
    team = Team.objects.create(name="Cards")
    people = SimpleNamespace(team=team)
    people.first = make_user(Role.AGENT, "first@example.com")
    people.away = make_user(Role.AGENT, "away@example.com")
    people.away.is_available = False
    people.away.save(update_fields=["is_available"])
    people.second = make_user(Role.AGENT, "second@example.com")
    people.gone = make_user(Role.AGENT, "gone@example.com")
    people.gone.is_active = False
    people.gone.save(update_fields=["is_active"])
    people.lead = make_user(Role.MANAGER, "lead@example.com")
    people.expert = make_user(Role.SPECIALIST, "expert@example.com")
    people.third = make_user(Role.AGENT, "third@example.com")
    team.members.add(
        people.first,
        people.away,
        people.second,
        people.gone,
        people.lead,
        people.expert,
        people.third,
    )
    # An available agent of no team of this queue never gets its complaints.
    make_user(Role.AGENT, "elsewhere@example.com")
    return people


def test_round_robin_cycles_through_the_available_agents_of_the_team_in_id_order(
    make_complaint: Callable[..., Complaint], cards: SimpleNamespace
) -> None:
    set_policy(default_team=cards.team, assignment_strategy=AssignmentStrategy.ROUND_ROBIN)

    made = [make_complaint() for _ in range(4)]

    assignees = [Complaint.objects.get(pk=complaint.pk).assignee for complaint in made]
    assert assignees == [cards.first, cards.second, cards.third, cards.first]


def test_round_robin_continues_after_the_last_assignee_when_agents_become_unavailable(
    make_complaint: Callable[..., Complaint], cards: SimpleNamespace
) -> None:
    set_policy(default_team=cards.team, assignment_strategy=AssignmentStrategy.ROUND_ROBIN)
    make_complaint()  # to first
    cards.second.is_available = False
    cards.second.save(update_fields=["is_available"])

    made = make_complaint()

    assert Complaint.objects.get(pk=made.pk).assignee == cards.third


def test_least_loaded_gives_the_complaint_to_the_agent_with_fewest_active_complaints(
    make_complaint: Callable[..., Complaint],
    make_user: Callable[..., User],
    other_consumer: User,
) -> None:
    team = Team.objects.create(name="Loans")
    idle_but_away = make_user(Role.AGENT, "idle@example.com")
    idle_but_away.is_available = False
    idle_but_away.save(update_fields=["is_available"])
    busy, finished, newcomer = (
        make_user(Role.AGENT, f"{name}@example.com") for name in ("busy", "finished", "newcomer")
    )
    team.members.add(idle_but_away, busy, finished, newcomer)
    # Busy has one complaint being worked; finished has two that no longer count.
    place = make_complaint(owner=other_consumer)
    place.assignee = busy
    place.save(update_fields=["assignee"])
    for final in (Status.RESOLVED, Status.CLOSED):
        done = put_in_status(make_complaint(owner=other_consumer), final)
        done.assignee = finished
        done.save(update_fields=["assignee"])
    set_policy(default_team=team, assignment_strategy=AssignmentStrategy.LEAST_LOADED)

    made = [make_complaint() for _ in range(3)]

    assignees = [Complaint.objects.get(pk=complaint.pk).assignee for complaint in made]
    # Ties go to the lowest id; the unavailable agent with no load is never chosen.
    assert assignees == [finished, newcomer, busy]


def test_automatic_assignment_without_an_available_agent_leaves_the_complaint_in_the_queue(
    make_complaint: Callable[..., Complaint], cards: SimpleNamespace
) -> None:
    for person in (cards.first, cards.second, cards.third):
        person.is_available = False
        person.save(update_fields=["is_available"])
    set_policy(default_team=cards.team, assignment_strategy=AssignmentStrategy.LEAST_LOADED)

    made = make_complaint()

    made.refresh_from_db()
    assert (made.team, made.assignee) == (cards.team, None)


def test_automatically_assigned_agent_is_emailed_through_the_outbox(
    make_complaint: Callable[..., Complaint], cards: SimpleNamespace
) -> None:
    set_policy(default_team=cards.team, assignment_strategy=AssignmentStrategy.ROUND_ROBIN)

    made = make_complaint()

    (message,) = mail_to(cards.first)
    assert message.subject == f"{made.reference} is assigned to you"
    assert f"/console/complaints/{made.reference}/" in message.body
    assert message.status == Message.Status.PENDING
    assert mail_to(cards.second) == []


# --- claiming and assigning -----------------------------------------------------------------


def test_agent_claims_an_unassigned_complaint_of_their_team_without_emailing_themselves(
    complaint: Complaint, staff: User, agent: User
) -> None:
    before = state(complaint)

    event = assign_complaint(complaint, staff, actor=staff)

    complaint.refresh_from_db()
    assert complaint.assignee == agent
    assert new_events(complaint, before) == [event]
    assert (event.kind, event.is_internal, event.actor_id) == (
        Event.Kind.ASSIGNED,
        True,
        agent.pk,
    )
    assert event.data == {"assignee": "Alex Agent", "previous_assignee": ""}
    assert mail_to(agent) == []


@pytest.mark.parametrize("whom", ["teammate", "nobody"])
def test_agent_cannot_assign_a_complaint_to_someone_else_or_unassign_it(
    complaint: Complaint, staff: User, teammate: User, whom: str
) -> None:
    assignee = teammate if whom == "teammate" else None
    with refused("Agents can only claim complaints for themselves.", complaint):
        assign_complaint(complaint, assignee, actor=staff)


def test_agent_cannot_take_a_complaint_someone_else_has(
    complaint: Complaint, staff: User, teammate: User
) -> None:
    complaint.assignee = teammate
    complaint.save(update_fields=["assignee"])

    message = "Toni Teammate already has this complaint; ask a manager to reassign it."
    with refused(message, complaint):
        assign_complaint(complaint, staff, actor=staff)


def test_agent_cannot_claim_a_complaint_of_another_team(
    complaint: Complaint, outsider_agent: User
) -> None:
    with refused("You may not assign this complaint.", complaint):
        assign_complaint(complaint, outsider_agent, actor=outsider_agent)


def test_manager_assigns_reassigns_and_unassigns_and_each_new_assignee_is_emailed(
    complaint: Complaint, boss: User, agent: User, teammate: User
) -> None:
    assigned = assign_complaint(complaint, agent, actor=boss)
    reassigned = assign_complaint(complaint, teammate, actor=boss)

    complaint.refresh_from_db()
    assert complaint.assignee == teammate
    assert assigned.data == {"assignee": "Alex Agent", "previous_assignee": ""}
    assert reassigned.data == {"assignee": "Toni Teammate", "previous_assignee": "Alex Agent"}
    assert [message.subject for message in mail_to(agent)] == [
        f"{complaint.reference} is assigned to you"
    ]
    assert [message.subject for message in mail_to(teammate)] == [
        f"{complaint.reference} is assigned to you"
    ]
    outbox = Message.objects.count()

    unassigned = assign_complaint(complaint, None, actor=boss)

    complaint.refresh_from_db()
    assert complaint.assignee is None
    assert unassigned.data == {"assignee": "", "previous_assignee": "Toni Teammate"}
    assert unassigned.is_internal
    assert Message.objects.count() == outbox


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.SPECIALIST, Role.ADMIN])
def test_complaints_can_only_be_given_to_agents_and_managers(
    complaint: Complaint, boss: User, make_user: Callable[..., User], role: Role
) -> None:
    person = make_user(role, full_name="Pat Person")
    with refused("Pat Person cannot be given complaints.", complaint):
        assign_complaint(complaint, person, actor=boss)


def test_complaints_cannot_be_given_to_an_inactive_agent(
    complaint: Complaint, boss: User, teammate: User
) -> None:
    teammate.is_active = False
    teammate.save(update_fields=["is_active"])
    with refused("Toni Teammate cannot be given complaints.", complaint):
        assign_complaint(complaint, teammate, actor=boss)


def test_assigning_to_the_current_assignee_is_refused(
    complaint: Complaint, boss: User, agent: User
) -> None:
    assign_complaint(complaint, agent, actor=boss)
    with refused("Alex Agent already has this complaint.", complaint):
        assign_complaint(complaint, agent, actor=boss)


@pytest.mark.parametrize("final", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_a_complaint_no_longer_worked_cannot_be_assigned(
    complaint: Complaint, boss: User, agent: User, final: Status
) -> None:
    put_in_status(complaint, final)
    with refused("Only complaints still being worked can be assigned.", complaint):
        assign_complaint(complaint, agent, actor=boss)


# --- moving between teams -------------------------------------------------------------------


def test_moving_to_another_team_drops_an_assignee_who_is_not_in_it(
    complaint: Complaint, boss: User, agent: User, other_team: Team
) -> None:
    assign_complaint(complaint, agent, actor=boss)
    before = state(complaint)

    event = move_to_team(complaint, other_team, actor=boss)

    complaint.refresh_from_db()
    assert (complaint.team, complaint.assignee) == (other_team, None)
    assert new_events(complaint, before) == [event]
    assert (event.kind, event.is_internal) == (Event.Kind.ASSIGNED, True)
    assert event.data == {"team": "Billing disputes", "previous_team": "Front line"}
    # The agent no longer sees a complaint that left their queue.
    assert not as_request_user(agent).has_perm("complaints.view_complaint", complaint)


def test_moving_to_another_team_keeps_an_assignee_who_is_a_member(
    complaint: Complaint, boss: User, agent: User, other_team: Team
) -> None:
    other_team.members.add(agent)
    assign_complaint(complaint, agent, actor=boss)

    move_to_team(complaint, other_team, actor=boss)

    complaint.refresh_from_db()
    assert (complaint.team, complaint.assignee) == (other_team, agent)


def test_agent_may_move_a_complaint_of_their_team_elsewhere(
    complaint: Complaint, staff: User, other_team: Team
) -> None:
    move_to_team(complaint, other_team, actor=staff)
    complaint.refresh_from_db()
    assert complaint.team == other_team


def test_moving_to_the_team_it_is_in_is_refused(
    complaint: Complaint, boss: User, front_line: Team
) -> None:
    with refused("The complaint is already in Front line.", complaint):
        move_to_team(complaint, front_line, actor=boss)


@pytest.mark.parametrize("who", ["outsider_agent", "owner"])
def test_only_someone_handling_the_complaint_may_move_it(
    complaint: Complaint, other_team: Team, request: pytest.FixtureRequest, who: str
) -> None:
    actor = request.getfixturevalue(who)
    with refused("You may not move this complaint.", complaint):
        move_to_team(complaint, other_team, actor=actor)


# --- priority and category ------------------------------------------------------------------


def test_raising_the_priority_writes_one_event_and_brings_the_sla_deadlines_forward(
    aged: Complaint, staff: User
) -> None:
    assert due(aged, Clock.FIRST_RESPONSE) == NORMAL_FIRST_RESPONSE
    assert due(aged, Clock.RESOLUTION) == NORMAL_RESOLUTION
    before = state(aged)

    event = change_priority(aged, Priority.HIGH, actor=staff)

    aged.refresh_from_db()
    assert aged.priority == Priority.HIGH
    assert new_events(aged, before) == [event]
    assert (event.kind, event.is_internal) == (Event.Kind.PRIORITY_CHANGED, True)
    assert event.data == {"previous_value": "Normal", "value": "High"}
    assert due(aged, Clock.FIRST_RESPONSE) == HIGH_FIRST_RESPONSE
    assert due(aged, Clock.RESOLUTION) == HIGH_RESOLUTION
    # The regulator's clock does not depend on the priority.
    assert due(aged, Clock.FINAL_RESPONSE) == FCA_EIGHT_WEEKS
    assert aged.next_due_at == HIGH_FIRST_RESPONSE


def test_changing_to_the_same_priority_is_refused(aged: Complaint, staff: User) -> None:
    with refused("The complaint already has that priority.", aged):
        change_priority(aged, Priority.NORMAL, actor=staff)


def test_an_unknown_priority_is_refused(aged: Complaint, staff: User) -> None:
    with refused("'critical' is not a priority.", aged):
        change_priority(aged, "critical", actor=staff)


@pytest.mark.parametrize("who", ["owner", "outsider_agent"])
def test_only_someone_handling_the_complaint_may_change_its_priority(
    aged: Complaint, request: pytest.FixtureRequest, who: str
) -> None:
    with refused("You may not change the priority.", aged):
        change_priority(aged, Priority.URGENT, actor=request.getfixturevalue(who))


def test_recategorising_as_payment_services_switches_the_fca_clock_to_15_business_days(
    aged: Complaint, staff: User, payments: Category, category: Category
) -> None:
    assert due(aged, Clock.FINAL_RESPONSE) == FCA_EIGHT_WEEKS
    before = state(aged)

    event = change_category(aged, payments, actor=staff)

    aged.refresh_from_db()
    assert aged.category == payments
    assert new_events(aged, before) == [event]
    assert event.kind == Event.Kind.CATEGORY_CHANGED
    assert event.data == {
        "previous_value": "Current account / Fees and charges",
        "value": "Current account / Card payments",
    }
    assert due(aged, Clock.FINAL_RESPONSE) == FCA_15_BUSINESS_DAYS
    # The tenant's own SLA clocks follow the priority, not the category.
    assert due(aged, Clock.FIRST_RESPONSE) == NORMAL_FIRST_RESPONSE

    change_category(aged, category, actor=staff)

    assert due(aged, Clock.FINAL_RESPONSE) == FCA_EIGHT_WEEKS


def test_recategorising_to_an_inactive_category_is_refused(
    aged: Complaint, staff: User, payments: Category
) -> None:
    payments.is_active = False
    payments.save(update_fields=["is_active"])
    with refused("That category is no longer in use.", aged):
        change_category(aged, payments, actor=staff)


def test_recategorising_to_the_same_category_is_refused(
    aged: Complaint, staff: User, category: Category
) -> None:
    with refused("The complaint already has that category.", aged):
        change_category(aged, category, actor=staff)


@pytest.mark.parametrize("who", ["owner", "outsider_agent"])
def test_only_someone_handling_the_complaint_may_recategorise_it(
    aged: Complaint, payments: Category, request: pytest.FixtureRequest, who: str
) -> None:
    with refused("You may not change the category.", aged):
        change_category(aged, payments, actor=request.getfixturevalue(who))


# --- second-line support --------------------------------------------------------------------


def test_referring_gives_the_specialist_the_complaint_and_emails_them(
    complaint: Complaint, staff: User, specialist: User
) -> None:
    before = state(complaint)

    event = refer_to_specialist(complaint, specialist, "  Is the ledger right?  ", actor=staff)

    complaint.refresh_from_db()
    assert complaint.specialist == specialist
    assert new_events(complaint, before) == [event]
    assert (event.kind, event.is_internal, event.body) == (
        Event.Kind.REFERRED,
        True,
        "Is the ledger right?",
    )
    (message,) = mail_to(specialist)
    assert message.subject == f"{complaint.reference} was referred to you"
    assert "Alex Agent asks: Is the ledger right?" in message.body
    assert as_request_user(specialist).has_perm("complaints.view_complaint", complaint)


def test_referring_to_someone_who_is_not_a_specialist_is_refused(
    complaint: Complaint, staff: User, teammate: User
) -> None:
    with refused("Toni Teammate is not a support specialist.", complaint):
        refer_to_specialist(complaint, teammate, "Please check.", actor=staff)


def test_referring_a_complaint_already_with_a_specialist_is_refused(
    complaint: Complaint, staff: User, specialist: User, make_user: Callable[..., User]
) -> None:
    refer_to_specialist(complaint, specialist, "Please check.", actor=staff)
    second = make_user(Role.SPECIALIST)
    with refused("The complaint is already with a specialist.", complaint):
        refer_to_specialist(complaint, second, "And you?", actor=staff)


def test_referring_without_saying_what_is_needed_is_refused(
    complaint: Complaint, staff: User, specialist: User
) -> None:
    with refused("Tell the specialist what you need.", complaint):
        refer_to_specialist(complaint, specialist, "   ", actor=staff)


@pytest.mark.parametrize("who", ["owner", "outsider_agent"])
def test_only_someone_handling_the_complaint_may_refer_it(
    complaint: Complaint, specialist: User, request: pytest.FixtureRequest, who: str
) -> None:
    with refused("You may not refer this complaint.", complaint):
        refer_to_specialist(complaint, specialist, "Please.", actor=request.getfixturevalue(who))


def test_handing_back_returns_the_complaint_and_the_specialist_no_longer_sees_it(
    complaint: Complaint, boss: User, staff: User, agent: User, specialist: User
) -> None:
    assign_complaint(complaint, agent, actor=boss)
    refer_to_specialist(complaint, specialist, "Please check.", actor=staff)
    expert = as_request_user(specialist)
    before = state(complaint)

    event = hand_back(complaint, "  The ledger shows two debits.  ", actor=expert)

    complaint.refresh_from_db()
    assert complaint.specialist is None
    assert new_events(complaint, before) == [event]
    assert (event.kind, event.is_internal, event.body) == (
        Event.Kind.HANDED_BACK,
        True,
        "The ledger shows two debits.",
    )
    assert [message.subject for message in mail_to(agent)][-1] == (
        f"{complaint.reference} is back from the specialist"
    )
    expert = as_request_user(specialist)
    assert not expert.has_perm("complaints.view_complaint", complaint)
    assert complaint not in Complaint.objects.visible_to(expert)


@pytest.mark.parametrize("who", ["another_specialist", "agent", "manager"])
def test_only_the_referred_specialist_may_hand_back(
    complaint: Complaint,
    staff: User,
    boss: User,
    specialist: User,
    make_user: Callable[..., User],
    who: str,
) -> None:
    refer_to_specialist(complaint, specialist, "Please check.", actor=staff)
    actor = {
        "another_specialist": as_request_user(make_user(Role.SPECIALIST)),
        "agent": staff,
        "manager": boss,
    }[who]
    with refused("Only the specialist it was referred to can hand it back.", complaint):
        hand_back(complaint, "My findings.", actor=actor)


def test_handing_back_without_findings_is_refused(
    complaint: Complaint, staff: User, specialist: User
) -> None:
    refer_to_specialist(complaint, specialist, "Please check.", actor=staff)
    with refused("Write your findings before handing back.", complaint):
        hand_back(complaint, " ", actor=as_request_user(specialist))


# --- escalation -----------------------------------------------------------------------------


def test_escalating_raises_the_level_and_priority_and_tells_the_team_manager(
    aged: Complaint, staff: User, manager: User, front_line: Team
) -> None:
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    before = state(aged)

    event = escalate_complaint(aged, "  Consumer threatens to go to the press.  ", actor=staff)

    aged.refresh_from_db()
    assert (aged.escalation_level, aged.priority) == (1, Priority.HIGH)
    assert aged.status == Status.NEW  # a level, not a status
    assert new_events(aged, before) == [event]
    assert (event.kind, event.is_internal, event.data) == (
        Event.Kind.ESCALATED,
        True,
        {"level": 1},
    )
    assert event.body == "Consumer threatens to go to the press."
    (message,) = mail_to(manager)
    assert message.subject == f"{aged.reference} escalated to level 1"
    assert "Consumer threatens to go to the press." in message.body
    # The higher priority's SLA deadlines apply at once.
    assert due(aged, Clock.FIRST_RESPONSE) == HIGH_FIRST_RESPONSE


@pytest.mark.parametrize(
    ("start", "after"),
    [
        (Priority.LOW, Priority.HIGH),
        (Priority.NORMAL, Priority.HIGH),
        (Priority.HIGH, Priority.HIGH),
        (Priority.URGENT, Priority.URGENT),
    ],
)
def test_escalating_bumps_only_low_and_normal_priorities_to_high(
    complaint: Complaint, staff: User, start: Priority, after: Priority
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(priority=start)
    complaint.refresh_from_db()

    escalate_complaint(complaint, "Second complaint this month.", actor=staff)
    escalate_complaint(complaint, "Still unresolved.", actor=staff)

    complaint.refresh_from_db()
    assert (complaint.escalation_level, complaint.priority) == (2, after)


def test_escalating_without_a_team_manager_emails_nobody(complaint: Complaint, staff: User) -> None:
    outbox = Message.objects.count()
    escalate_complaint(complaint, "Overdue.", actor=staff)
    assert Message.objects.count() == outbox


def test_escalating_without_a_reason_is_refused(complaint: Complaint, staff: User) -> None:
    with refused("Say why the complaint is escalated.", complaint):
        escalate_complaint(complaint, "  ", actor=staff)


@pytest.mark.parametrize("who", ["owner", "outsider_agent"])
def test_only_someone_handling_the_complaint_may_escalate_it(
    complaint: Complaint, request: pytest.FixtureRequest, who: str
) -> None:
    with refused("You may not escalate this complaint.", complaint):
        escalate_complaint(complaint, "Because.", actor=request.getfixturevalue(who))


@pytest.mark.parametrize("final", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_a_complaint_no_longer_worked_cannot_be_escalated(
    complaint: Complaint, staff: User, final: Status
) -> None:
    put_in_status(complaint, final)
    with refused("Only complaints still being worked can be escalated.", complaint):
        escalate_complaint(complaint, "Because.", actor=staff)


# --- resolution (UK financial services) -----------------------------------------------------


def test_resolving_within_three_business_days_sends_a_summary_resolution_communication(
    fresh: Complaint, staff: User, consumer: User, root_cause: RootCause
) -> None:
    before = state(fresh)

    event = resolve(fresh, staff, root_cause)

    fresh.refresh_from_db()
    assert fresh.status == Status.RESOLVED
    assert (fresh.outcome, fresh.root_cause) == (Outcome.UPHELD, root_cause)
    assert fresh.resolution_summary == "We refunded the second payment of £84.20."
    added = new_events(fresh, before)
    assert [item.kind for item in added] == [Event.Kind.RESOLVED, Event.Kind.LETTER]
    assert added[0] == event
    assert (event.from_status, event.to_status, event.data) == (
        Status.NEW,
        Status.RESOLVED,
        {"outcome": "upheld"},
    )
    assert letters(fresh) == [LetterKind.ACKNOWLEDGEMENT, LetterKind.SUMMARY_RESOLUTION]
    summary = letter(fresh, LetterKind.SUMMARY_RESOLUTION)
    assert not summary.is_internal
    for required in (fresh.reference, "treat it as resolved", FOS_NAME, FOS_WEBSITE):
        assert required in summary.body
    assert "We refunded the second payment of £84.20." in summary.body
    assert "Redress: none." in summary.body  # what the consumer gets, said plainly
    sent = mail_to(consumer)[-1]
    assert sent.subject == f"Your complaint {fresh.reference} is resolved"
    assert summary.body in sent.body


def test_resolving_marks_the_regulatory_and_sla_deadlines_met_in_time(
    fresh: Complaint, staff: User, root_cause: RootCause
) -> None:
    resolve(fresh, staff, root_cause)

    fresh.refresh_from_db()
    for clock in (
        Clock.SUMMARY_RESOLUTION,
        Clock.FINAL_RESPONSE,
        Clock.RESOLUTION,
        Clock.FIRST_RESPONSE,
    ):
        met = deadline(fresh, clock)
        assert met.met_at is not None and met.met_at <= met.due_at, clock
    assert fresh.next_due_at is None


def test_resolving_after_three_business_days_sends_the_final_response_instead(
    aged: Complaint, staff: User, consumer: User, root_cause: RootCause
) -> None:
    resolve(
        aged,
        staff,
        root_cause,
        outcome=Outcome.PARTLY_UPHELD,
        redress_amount=Decimal("50"),
    )

    aged.refresh_from_db()
    assert (aged.redress_amount, aged.redress_currency) == (Decimal("50.00"), "GBP")
    assert letters(aged) == [LetterKind.ACKNOWLEDGEMENT, LetterKind.FINAL_RESPONSE]
    final = letter(aged, LetterKind.FINAL_RESPONSE)
    for required in (
        aged.reference,
        "Outcome: partly upheld.",
        "Redress: £50.00.",
        "We refunded the second payment of £84.20.",
        FOS_NAME,
        FOS_WEBSITE,
        "within six months",
    ):
        assert required in final.body
    assert mail_to(consumer)[-1].subject == f"Our final response to your complaint {aged.reference}"
    # Met, but late; the summary-resolution opportunity was missed and stays unmet.
    late = deadline(aged, Clock.FINAL_RESPONSE)
    assert late.met_at is not None and late.met_at > late.due_at
    assert deadline(aged, Clock.RESOLUTION).met_at is not None
    assert deadline(aged, Clock.SUMMARY_RESOLUTION).met_at is None


def test_resolving_again_after_a_rejection_sends_a_new_final_response(
    aged: Complaint, staff: User, owner: User, root_cause: RootCause
) -> None:
    resolve(aged, staff, root_cause)
    reject_resolution(aged, "Still charged twice.", actor=owner)

    resolve(aged, staff, root_cause, outcome=Outcome.NOT_UPHELD)

    assert letters(aged) == [
        LetterKind.ACKNOWLEDGEMENT,
        LetterKind.FINAL_RESPONSE,
        LetterKind.FINAL_RESPONSE,
    ]
    assert "Outcome: not upheld." in aged.events.filter(kind=Event.Kind.LETTER).last().body
    aged.refresh_from_db()
    assert (aged.status, aged.outcome) == (Status.RESOLVED, Outcome.NOT_UPHELD)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"outcome": "withdrawn"}, "Choose an outcome: upheld, partly upheld or not upheld."),
        ({"outcome": "maybe"}, "Choose an outcome: upheld, partly upheld or not upheld."),
        ({"summary": "  \n "}, "Write a resolution summary for the consumer."),
        ({"root_cause": None}, "Choose the root cause, for root-cause analysis."),
        ({"root_cause": "inactive"}, "Choose the root cause, for root-cause analysis."),
        ({"redress_amount": Decimal("-0.01")}, "Redress cannot be negative."),
    ],
    ids=["withdrawn", "unknown-outcome", "blank-summary", "no-cause", "retired-cause", "negative"],
)
def test_a_resolution_needs_outcome_summary_active_root_cause_and_sane_redress(
    fresh: Complaint,
    staff: User,
    root_cause: RootCause,
    change: dict[str, Any],
    message: str,
) -> None:
    arguments: dict[str, Any] = {
        "outcome": Outcome.UPHELD,
        "summary": "Refunded.",
        "root_cause": root_cause,
        **change,
    }
    if arguments["root_cause"] == "inactive":
        arguments["root_cause"] = RootCause.objects.create(name="Old system", is_active=False)
    with refused(message, fresh):
        resolve_complaint(fresh, actor=staff, **arguments)


@pytest.mark.parametrize("who", ["owner", "outsider_agent", "specialist"])
def test_only_someone_handling_the_complaint_may_resolve_it(
    fresh: Complaint,
    root_cause: RootCause,
    agent: User,
    specialist: User,
    request: pytest.FixtureRequest,
    who: str,
) -> None:
    if who == "specialist":
        fresh.specialist = specialist
        fresh.save(update_fields=["specialist"])
        actor = as_request_user(specialist)
    else:
        actor = request.getfixturevalue(who)
    with refused("You may not resolve this complaint.", fresh):
        resolve(fresh, actor, root_cause)


@pytest.mark.parametrize("final", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_a_complaint_that_is_resolved_or_finished_cannot_be_resolved(
    fresh: Complaint, staff: User, root_cause: RootCause, final: Status
) -> None:
    put_in_status(fresh, final)
    with refused(f"A complaint that is {final.label.lower()} cannot be resolved.", fresh):
        resolve(fresh, staff, root_cause)


# --- resolution (UK telecoms) ---------------------------------------------------------------


@pytest.fixture
def telco_case(
    make_complaint: Callable[..., Complaint],
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> SimpleNamespace:
    """A complaint in the telecoms tenant (Ofcom), with its consumer and an agent there."""
    activate(telco)
    consumer = create_user(Role.CONSUMER, "terry@example.com", full_name="Terry Telco")
    agent = create_user(Role.AGENT, "tara@example.com", full_name="Tara Telco")
    return SimpleNamespace(
        complaint=make_complaint(owner=consumer, subject="No signal for a week"),
        consumer=consumer,
        owner=as_request_user(consumer),
        agent=as_request_user(agent),
        root_cause=RootCause.objects.create(name="Network outage"),
    )


def test_telecoms_resolution_not_upheld_is_a_deadlock_and_sends_the_adr_letter(
    telco_case: SimpleNamespace,
) -> None:
    complaint = telco_case.complaint

    resolve(complaint, telco_case.agent, telco_case.root_cause, outcome=Outcome.NOT_UPHELD)

    complaint.refresh_from_db()
    assert letters(complaint) == [
        LetterKind.ACKNOWLEDGEMENT,
        LetterKind.FINAL_RESPONSE,
        LetterKind.ADR_LETTER,
    ]
    adr = letter(complaint, LetterKind.ADR_LETTER)
    assert "alternative dispute resolution (ADR)" in adr.body
    assert "free of charge" in adr.body
    assert complaint.reference in adr.body
    assert complaint.adr_letter_sent_at is not None
    assert deadline(complaint, Clock.ADR_LETTER).met_at == complaint.adr_letter_sent_at
    assert mail_to(telco_case.consumer)[-1].subject == (
        f"Your right to take complaint {complaint.reference} further"
    )
    # The telecoms letters never speak of the financial ombudsman.
    assert FOS_NAME not in letter(complaint, LetterKind.FINAL_RESPONSE).body


def test_telecoms_resolution_upheld_sends_no_adr_letter(telco_case: SimpleNamespace) -> None:
    complaint = telco_case.complaint

    resolve(complaint, telco_case.agent, telco_case.root_cause, outcome=Outcome.UPHELD)

    complaint.refresh_from_db()
    assert letters(complaint) == [LetterKind.ACKNOWLEDGEMENT, LetterKind.FINAL_RESPONSE]
    assert complaint.adr_letter_sent_at is None


def test_telecoms_consumer_rejecting_a_resolution_gets_the_adr_letter(
    telco_case: SimpleNamespace,
) -> None:
    complaint = telco_case.complaint
    resolve(complaint, telco_case.agent, telco_case.root_cause, outcome=Outcome.UPHELD)

    reject_resolution(complaint, "Signal is still gone.", actor=telco_case.owner)

    assert letters(complaint)[-1] == LetterKind.ADR_LETTER


def test_telecoms_adr_letter_is_sent_only_once(telco_case: SimpleNamespace) -> None:
    complaint = telco_case.complaint
    resolve(complaint, telco_case.agent, telco_case.root_cause, outcome=Outcome.NOT_UPHELD)
    reject_resolution(complaint, "I disagree.", actor=telco_case.owner)
    resolve(complaint, telco_case.agent, telco_case.root_cause, outcome=Outcome.NOT_UPHELD)

    assert letters(complaint).count(LetterKind.ADR_LETTER) == 1


def test_bank_resolution_not_upheld_sends_no_adr_letter(
    fresh: Complaint, staff: User, root_cause: RootCause
) -> None:
    resolve(fresh, staff, root_cause, outcome=Outcome.NOT_UPHELD)
    assert LetterKind.ADR_LETTER not in letters(fresh)


# --- the consumer's answer ------------------------------------------------------------------


def test_consumer_accepting_the_resolution_closes_the_complaint(
    fresh: Complaint, staff: User, owner: User, root_cause: RootCause
) -> None:
    resolve(fresh, staff, root_cause)
    before = state(fresh)

    event = accept_resolution(fresh, actor=owner)

    fresh.refresh_from_db()
    assert fresh.status == Status.CLOSED
    assert fresh.closed_at is not None
    assert new_events(fresh, before) == [event]
    assert (event.kind, event.actor_id, event.from_status, event.to_status) == (
        Event.Kind.RESOLUTION_ACCEPTED,
        owner.pk,
        Status.RESOLVED,
        Status.CLOSED,
    )


def test_consumer_rejecting_the_resolution_reopens_it_and_tells_the_assignee(
    fresh: Complaint, boss: User, staff: User, agent: User, owner: User, root_cause: RootCause
) -> None:
    assign_complaint(fresh, agent, actor=boss)
    resolve(fresh, staff, root_cause)
    before = state(fresh)

    event = reject_resolution(fresh, "  The refund never arrived.  ", actor=owner)

    fresh.refresh_from_db()
    assert fresh.status == Status.REOPENED
    assert fresh.resolved_at is None
    assert new_events(fresh, before) == [event]
    assert (event.kind, event.body, event.from_status, event.to_status) == (
        Event.Kind.RESOLUTION_REJECTED,
        "The refund never arrived.",
        Status.RESOLVED,
        Status.REOPENED,
    )
    assert mail_to(agent)[-1].subject == f"{fresh.reference}: resolution rejected"


@pytest.mark.parametrize(
    ("window", "days_ago", "allowed"),
    [(30, 29, True), (30, 31, False), (5, 4, True), (5, 6, False)],
    ids=["default-inside", "default-after", "short-inside", "short-after"],
)
def test_a_resolution_can_only_be_rejected_within_the_tenants_reopen_window(
    fresh: Complaint,
    staff: User,
    owner: User,
    root_cause: RootCause,
    window: int,
    days_ago: int,
    allowed: bool,
) -> None:
    set_policy(reopen_window_days=window)
    resolve(fresh, staff, root_cause)
    Complaint.objects.filter(pk=fresh.pk).update(
        resolved_at=timezone.now() - timedelta(days=days_ago)
    )

    if allowed:
        reject_resolution(fresh, "Not fixed.", actor=owner)
        fresh.refresh_from_db()
        assert fresh.status == Status.REOPENED
    else:
        message = (
            "The time to reject this resolution has passed. Contact us if you are still unhappy."
        )
        with refused(message, fresh):
            reject_resolution(fresh, "Not fixed.", actor=owner)


def test_rejecting_without_a_reason_is_refused(
    fresh: Complaint, staff: User, owner: User, root_cause: RootCause
) -> None:
    resolve(fresh, staff, root_cause)
    with refused("Tell us why the resolution does not put things right.", fresh):
        reject_resolution(fresh, "   ", actor=owner)


@pytest.mark.parametrize("who", ["stranger", "staff", "boss"])
def test_only_the_owning_consumer_may_answer_a_resolution(
    fresh: Complaint, staff: User, root_cause: RootCause, request: pytest.FixtureRequest, who: str
) -> None:
    resolve(fresh, staff, root_cause)
    actor = request.getfixturevalue(who)
    with refused("Only the consumer can accept the resolution.", fresh):
        accept_resolution(fresh, actor=actor)
    with refused("Only the consumer can reject the resolution.", fresh):
        reject_resolution(fresh, "No.", actor=actor)


@pytest.mark.parametrize("start", [Status.NEW, Status.OPEN, Status.CLOSED, Status.REOPENED])
def test_answering_when_no_resolution_waits_is_refused(
    fresh: Complaint, owner: User, start: Status
) -> None:
    put_in_status(fresh, start)
    message = "There is no resolution waiting for your answer."
    with refused(message, fresh):
        accept_resolution(fresh, actor=owner)
    with refused(message, fresh):
        reject_resolution(fresh, "No.", actor=owner)


# --- automatic closing ----------------------------------------------------------------------


def test_unanswered_resolutions_close_after_the_tenants_number_of_days(
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    staff: User,
    root_cause: RootCause,
) -> None:
    set_policy(auto_close_days=14, reopen_window_days=10)
    stale, recent, unresolved = (make_complaint() for _ in range(3))
    for made in (stale, recent, unresolved):
        made.team = front_line
        made.save(update_fields=["team"])
    resolve(stale, staff, root_cause)
    resolve(recent, staff, root_cause)
    Complaint.objects.filter(pk=stale.pk).update(
        resolved_at=timezone.now() - timedelta(days=14, minutes=1)
    )
    Complaint.objects.filter(pk=recent.pk).update(
        resolved_at=timezone.now() - timedelta(days=13, hours=23)
    )
    Complaint.objects.filter(pk=unresolved.pk).update(
        received_at=timezone.now() - timedelta(days=60)
    )
    before = state(stale)
    untouched = [state(recent), state(unresolved)]

    assert auto_close_resolved() == 1

    stale.refresh_from_db()
    assert stale.status == Status.CLOSED
    assert stale.closed_at is not None
    (event,) = new_events(stale, before)
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        Event.Kind.STATUS_CHANGED,
        None,
        Status.RESOLVED,
        Status.CLOSED,
    )
    assert event.body == "Closed automatically: no answer to the resolution within 14 days."
    assert [state(recent), state(unresolved)] == untouched
    # A second run finds nothing left to close.
    assert auto_close_resolved() == 0


def test_auto_close_never_comes_before_the_consumers_time_to_reject_ends(
    make_complaint: Callable[..., Complaint], front_line: Team, staff: User, root_cause: RootCause
) -> None:
    # A policy saved before the settings page refused it: 14 days to close, 30 to reject.
    set_policy(auto_close_days=14, reopen_window_days=30)
    complaint = make_complaint()
    complaint.team = front_line
    complaint.save(update_fields=["team"])
    resolve(complaint, staff, root_cause)
    Complaint.objects.filter(pk=complaint.pk).update(
        resolved_at=timezone.now() - timedelta(days=29, hours=23)
    )

    assert auto_close_resolved() == 0

    Complaint.objects.filter(pk=complaint.pk).update(
        resolved_at=timezone.now() - timedelta(days=30, minutes=1)
    )
    assert auto_close_resolved() == 1
    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED


# --- rating ---------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [1, 5])
def test_consumer_rates_a_resolved_complaint_once(
    fresh: Complaint, staff: User, owner: User, root_cause: RootCause, score: int
) -> None:
    resolve(fresh, staff, root_cause)
    before = state(fresh)

    event = rate_complaint(fresh, score, "  Quick and fair.  ", actor=owner)

    fresh.refresh_from_db()
    assert (fresh.satisfaction_score, fresh.satisfaction_comment) == (score, "Quick and fair.")
    assert new_events(fresh, before) == [event]
    assert (event.kind, event.data, event.actor_id) == (
        Event.Kind.RATED,
        {"score": score},
        owner.pk,
    )
    with refused("You have already rated this complaint.", fresh):
        rate_complaint(fresh, 3, "", actor=owner)


def test_consumer_may_rate_after_accepting_the_resolution(
    fresh: Complaint, staff: User, owner: User, root_cause: RootCause
) -> None:
    resolve(fresh, staff, root_cause)
    accept_resolution(fresh, actor=owner)

    rate_complaint(fresh, 4, "", actor=owner)

    fresh.refresh_from_db()
    assert fresh.satisfaction_score == 4


@pytest.mark.parametrize("score", [0, 6, -1, 10])
def test_a_rating_outside_one_to_five_is_refused(
    fresh: Complaint, staff: User, owner: User, root_cause: RootCause, score: int
) -> None:
    resolve(fresh, staff, root_cause)
    with refused("Choose a rating from 1 to 5.", fresh):
        rate_complaint(fresh, score, "", actor=owner)


@pytest.mark.parametrize("start", [Status.NEW, Status.OPEN, Status.REOPENED, Status.WITHDRAWN])
def test_a_complaint_cannot_be_rated_before_it_is_resolved(
    fresh: Complaint, owner: User, start: Status
) -> None:
    put_in_status(fresh, start)
    with refused("You can rate the handling once the complaint is resolved.", fresh):
        rate_complaint(fresh, 5, "", actor=owner)


@pytest.mark.parametrize("who", ["stranger", "staff", "boss"])
def test_only_the_owning_consumer_may_rate(
    fresh: Complaint, staff: User, root_cause: RootCause, request: pytest.FixtureRequest, who: str
) -> None:
    resolve(fresh, staff, root_cause)
    with refused("Only the consumer can rate this complaint.", fresh):
        rate_complaint(fresh, 5, "", actor=request.getfixturevalue(who))


# --- merging --------------------------------------------------------------------------------


@pytest.fixture
def duplicate(make_complaint: Callable[..., Complaint], front_line: Team) -> Complaint:
    made = make_complaint(subject="Charged twice again")
    made.team = front_line
    made.save(update_fields=["team"])
    return made


def test_merging_closes_the_duplicate_with_one_event_and_the_target_lists_it(
    complaint: Complaint, duplicate: Complaint, staff: User
) -> None:
    before_duplicate, before_target = state(duplicate), state(complaint)

    event = merge_complaint(duplicate, complaint, actor=staff)

    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into) == (Status.CLOSED, complaint)
    assert duplicate.closed_at is not None
    assert new_events(duplicate, before_duplicate) == [event]
    assert (event.kind, event.from_status, event.to_status) == (
        Event.Kind.MERGED,
        Status.NEW,
        Status.CLOSED,
    )
    assert event.body == f"Closed as a duplicate of {complaint.reference}."
    # One change, one event: the target keeps its timeline and lists what was merged into it.
    assert new_events(complaint, before_target) == []
    assert list(complaint.merged.all()) == [duplicate]
    assert Complaint.objects.get(pk=complaint.pk).status == Status.NEW


def test_complaints_of_different_consumers_cannot_be_merged(
    complaint: Complaint,
    make_complaint: Callable[..., Complaint],
    other_consumer: User,
    staff: User,
) -> None:
    theirs = make_complaint(owner=other_consumer)
    with refused("Only complaints of the same consumer can be merged.", complaint, theirs):
        merge_complaint(theirs, complaint, actor=staff)


def test_a_complaint_cannot_be_merged_into_itself(complaint: Complaint, staff: User) -> None:
    with refused("A complaint cannot be merged into itself.", complaint):
        merge_complaint(complaint, complaint, actor=staff)


def test_merging_into_a_withdrawn_complaint_is_refused(
    complaint: Complaint, duplicate: Complaint, staff: User
) -> None:
    put_in_status(complaint, Status.WITHDRAWN)
    message = f"{complaint.reference} is closed as a duplicate or withdrawn."
    with refused(message, complaint, duplicate):
        merge_complaint(duplicate, complaint, actor=staff)


@pytest.mark.parametrize("final", [Status.RESOLVED, Status.CLOSED])
def test_a_duplicate_no_longer_open_cannot_be_merged(
    complaint: Complaint, duplicate: Complaint, staff: User, final: Status
) -> None:
    put_in_status(duplicate, final)
    message = f"{duplicate.reference} is no longer open and cannot be merged."
    with refused(message, complaint, duplicate):
        merge_complaint(duplicate, complaint, actor=staff)


def test_the_consumer_cannot_merge_their_complaints(
    complaint: Complaint, duplicate: Complaint, owner: User
) -> None:
    with refused("You may not merge this complaint.", complaint, duplicate):
        merge_complaint(duplicate, complaint, actor=owner)


def test_agent_cannot_merge_into_a_complaint_of_another_team(
    complaint: Complaint, duplicate: Complaint, staff: User, other_team: Team
) -> None:
    complaint.team = other_team
    complaint.save(update_fields=["team"])
    with refused("You may not merge into that complaint.", complaint, duplicate):
        merge_complaint(duplicate, complaint, actor=staff)


# --- holding response -----------------------------------------------------------------------


@pytest.fixture
def payment_complaint(
    make_complaint: Callable[..., Complaint], front_line: Team, payments: Category
) -> Complaint:
    made = make_complaint(received_at=RECEIVED, category=payments)
    made.team = front_line
    made.save(update_fields=["team"])
    return made


def test_holding_response_on_a_payment_services_complaint_extends_to_35_business_days(
    payment_complaint: Complaint, staff: User, consumer: User
) -> None:
    assert due(payment_complaint, Clock.FINAL_RESPONSE) == FCA_15_BUSINESS_DAYS
    expected = date(2025, 10, 10)
    before = state(payment_complaint)

    # Sent on the 10th business day, within the 15 (DISP 1.6.2AR).
    with time_machine.travel(london(2025, 9, 15, 10), tick=False):
        event = send_holding_response(
            payment_complaint,
            "  the card scheme has not yet answered our chargeback.  ",
            expected,
            actor=staff,
        )

    payment_complaint.refresh_from_db()
    assert payment_complaint.holding_response_sent_at is not None
    assert due(payment_complaint, Clock.FINAL_RESPONSE) == FCA_35_BUSINESS_DAYS
    assert new_events(payment_complaint, before) == [event]
    assert (event.kind, event.is_internal, event.data["letter"]) == (
        Event.Kind.LETTER,
        False,
        LetterKind.HOLDING_RESPONSE,
    )
    assert "because the card scheme has not yet answered our chargeback. " in event.body
    assert f"We expect to send it by {expected:%-d %B %Y}." in event.body
    assert FOS_NAME in event.body and FOS_WEBSITE in event.body
    assert mail_to(consumer)[-1].subject == (
        f"An update on your complaint {payment_complaint.reference}"
    )


def test_holding_response_on_another_complaint_keeps_the_eight_week_deadline(
    aged: Complaint, staff: User
) -> None:
    send_holding_response(
        aged, "we are waiting for a branch report", timezone.localdate() + timedelta(1), actor=staff
    )

    assert letters(aged)[-1] == LetterKind.HOLDING_RESPONSE
    assert due(aged, Clock.FINAL_RESPONSE) == FCA_EIGHT_WEEKS


@pytest.mark.parametrize("days", [0, -1], ids=["today", "yesterday"])
def test_holding_response_with_an_expected_date_not_in_the_future_is_refused(
    payment_complaint: Complaint, staff: User, days: int
) -> None:
    expected = timezone.localdate() + timedelta(days=days)
    with refused("The expected date must be in the future.", payment_complaint):
        send_holding_response(payment_complaint, "we are waiting", expected, actor=staff)


def test_holding_response_without_a_reason_is_refused(
    payment_complaint: Complaint, staff: User
) -> None:
    with refused("Explain why the final response is not possible yet.", payment_complaint):
        send_holding_response(
            payment_complaint, " . ", timezone.localdate() + timedelta(days=3), actor=staff
        )


@pytest.mark.parametrize("who", ["owner", "outsider_agent"])
def test_only_someone_handling_the_complaint_may_send_a_holding_response(
    payment_complaint: Complaint, request: pytest.FixtureRequest, who: str
) -> None:
    with refused("You may not write to this consumer.", payment_complaint):
        send_holding_response(
            payment_complaint,
            "we are waiting",
            timezone.localdate() + timedelta(days=3),
            actor=request.getfixturevalue(who),
        )


def test_holding_response_on_a_resolved_complaint_is_refused(
    payment_complaint: Complaint, staff: User
) -> None:
    put_in_status(payment_complaint, Status.RESOLVED)
    with refused("The complaint is no longer open.", payment_complaint):
        send_holding_response(
            payment_complaint, "we are waiting", timezone.localdate() + timedelta(3), actor=staff
        )


# --- the SLA pause --------------------------------------------------------------------------


def test_awaiting_the_consumer_pauses_the_sla_clocks_but_not_the_regulators(
    aged: Complaint, staff: User
) -> None:
    aged.refresh_from_db()
    assert aged.next_due_at == NORMAL_FIRST_RESPONSE
    started = timezone.now()

    change_status(aged, Status.AWAITING_CONSUMER, actor=staff)

    aged.refresh_from_db()
    assert aged.sla_paused_since is not None
    assert started <= aged.sla_paused_since <= timezone.now()
    # The earliest clock still running is the FCA's; the paused SLA clocks are not counted.
    assert aged.next_due_at == FCA_EIGHT_WEEKS
    assert due(aged, Clock.FIRST_RESPONSE) == NORMAL_FIRST_RESPONSE


@pytest.mark.parametrize("resumed_by", ["consumer_reply", "staff_status_change"])
def test_resuming_pushes_the_sla_deadlines_back_by_the_business_time_waited(
    aged: Complaint, staff: User, owner: User, resumed_by: str
) -> None:
    change_status(aged, Status.AWAITING_CONSUMER, actor=staff)
    # Waiting for two weeks: ten weekdays of eight business hours (fewer with holidays,
    # give or take an hour where a daylight-saving change falls in between).
    paused_since = timezone.now() - timedelta(days=14)
    Complaint.objects.filter(pk=aged.pk).update(sla_paused_since=paused_since)
    aged.refresh_from_db()
    calendar = tenant_calendar()
    waited_at_least = calendar.business_time_between(paused_since, timezone.now())

    if resumed_by == "consumer_reply":
        reply_to_complaint(aged, "Here is my statement.", actor=owner)
    else:
        change_status(aged, Status.OPEN, actor=staff)

    waited_at_most = calendar.business_time_between(paused_since, timezone.now())
    aged.refresh_from_db()
    assert aged.status == Status.OPEN
    assert aged.sla_paused_since is None
    assert waited_at_least <= aged.sla_paused_for <= waited_at_most
    assert timedelta(hours=6 * 8) <= aged.sla_paused_for <= timedelta(hours=10 * 8 + 1)
    first_response, resolution = due(aged, Clock.FIRST_RESPONSE), due(aged, Clock.RESOLUTION)
    assert first_response > NORMAL_FIRST_RESPONSE
    assert resolution > NORMAL_RESOLUTION
    assert first_response == calendar.add_business_time(
        RECEIVED, timedelta(hours=8) + aged.sla_paused_for
    )
    assert resolution == calendar.add_business_time(
        RECEIVED, timedelta(hours=40) + aged.sla_paused_for
    )
    assert due(aged, Clock.FINAL_RESPONSE) == FCA_EIGHT_WEEKS
    assert aged.next_due_at == first_response


def test_a_second_pause_adds_to_the_time_already_waited(aged: Complaint, staff: User) -> None:
    for days in (7, 3):
        change_status(aged, Status.AWAITING_CONSUMER, actor=staff)
        Complaint.objects.filter(pk=aged.pk).update(
            sla_paused_since=timezone.now() - timedelta(days=days)
        )
        aged.refresh_from_db()
        change_status(aged, Status.OPEN, actor=staff)
        aged.refresh_from_db()
        if days == 7:
            after_first = aged.sla_paused_for

    assert aged.sla_paused_for > after_first > timedelta(0)


# --- internal work never reaches the consumer's inbox ---------------------------------------


def test_internal_notes_and_internal_events_never_email_the_consumer(
    complaint: Complaint,
    staff: User,
    boss: User,
    agent: User,
    consumer: User,
    manager: User,
    specialist: User,
    front_line: Team,
    other_team: Team,
) -> None:
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    (acknowledgement,) = mail_to(consumer)
    secret = "Suspected first-party fraud; do not tell the customer."

    add_internal_note(complaint, secret, actor=staff)
    assign_complaint(complaint, agent, actor=boss)
    change_priority(complaint, Priority.URGENT, actor=staff)
    escalate_complaint(complaint, secret, actor=staff)
    refer_to_specialist(complaint, specialist, secret, actor=staff)
    add_internal_note(complaint, secret, actor=as_request_user(specialist))
    hand_back(complaint, secret, actor=as_request_user(specialist))
    move_to_team(complaint, other_team, actor=boss)

    assert mail_to(consumer) == [acknowledgement]
    assert not Message.objects.filter(recipient=consumer.email, body__contains="fraud").exists()
    # Staff were told, so the outbox was in use; only the consumer heard nothing.
    assert {message.recipient for message in Message.objects.exclude(pk=acknowledgement.pk)} == {
        agent.email,
        manager.email,
        specialist.email,
    }

    reply_to_complaint(complaint, "We are on it.", actor=boss)

    (_, reply) = mail_to(consumer)
    assert "We are on it." in reply.body
    assert "fraud" not in reply.body


def test_a_consumer_reply_emails_the_assignee_not_the_consumer(
    complaint: Complaint, boss: User, agent: User, consumer: User, owner: User
) -> None:
    assign_complaint(complaint, agent, actor=boss)
    consumer_mail = mail_to(consumer)

    reply_to_complaint(complaint, "Any news?", actor=owner)

    assert mail_to(consumer) == consumer_mail
    assert mail_to(agent)[-1].subject == f"{complaint.reference}: the consumer replied"
