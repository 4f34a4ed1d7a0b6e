"""The complaint services: the lifecycle table, replies, notes and submission, against the database."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import (
    Category,
    Channel,
    Complaint,
    Event,
    LetterKind,
    Outcome,
    RootCause,
    Status,
    Team,
)
from complaints.services import (
    MOVES,
    ComplaintError,
    add_internal_note,
    allowed_statuses,
    change_status,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    submit_complaint,
)
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user, put_in_status, snapshot
from tests.conftest import create_user

STAFF, OWNER, MANAGER = "staff", "owner", "manager"

# Written out independently of MOVES so a change to the table has to change this too.
# Resolving has its own service (outcome, summary, letters) and the consumer answers a
# resolution with accept_resolution / reject_resolution, so none of those is a plain move.
EXPECTED_MOVES: dict[tuple[Status, Status], str] = {
    (Status.NEW, Status.OPEN): STAFF,
    (Status.NEW, Status.AWAITING_CONSUMER): STAFF,
    (Status.NEW, Status.WITHDRAWN): OWNER,
    (Status.OPEN, Status.AWAITING_CONSUMER): STAFF,
    (Status.OPEN, Status.WITHDRAWN): OWNER,
    (Status.AWAITING_CONSUMER, Status.OPEN): STAFF,
    (Status.AWAITING_CONSUMER, Status.WITHDRAWN): OWNER,
    (Status.REOPENED, Status.OPEN): STAFF,
    (Status.REOPENED, Status.AWAITING_CONSUMER): STAFF,
    (Status.REOPENED, Status.WITHDRAWN): OWNER,
    (Status.RESOLVED, Status.CLOSED): STAFF,
    (Status.RESOLVED, Status.REOPENED): STAFF,
    (Status.CLOSED, Status.REOPENED): MANAGER,
}
# The statuses from which resolve_complaint may resolve.
RESOLVABLE_STATUSES = (Status.NEW, Status.OPEN, Status.AWAITING_CONSUMER, Status.REOPENED)

# Everyone who might try a move on ``complaint`` (the consumer's, in the front-line queue).
EVERY_ACTOR = (
    "agent",
    "manager",
    "consumer",
    "other_consumer",
    "other_team_agent",
    "referred_specialist",
    "admin",
)
RIGHT_ACTORS = {
    STAFF: {"agent", "manager"},
    OWNER: {"consumer"},
    MANAGER: {"manager"},
}

ALLOWED_MOVES = [
    (start, target, actor)
    for (start, target), who in EXPECTED_MOVES.items()
    for actor in sorted(RIGHT_ACTORS[who])
]
WRONG_ROLE_MOVES = [
    (start, target, actor)
    for (start, target), who in EXPECTED_MOVES.items()
    for actor in EVERY_ACTOR
    if actor not in RIGHT_ACTORS[who]
]
RESOLVE_ATTEMPTS = [
    (start, Status.RESOLVED, actor) for start in RESOLVABLE_STATUSES for actor in EVERY_ACTOR
]
FORBIDDEN_MOVES = [
    (start, target, actor)
    for start in Status
    for target in Status
    if (start, target) not in EXPECTED_MOVES and (start, target, "manager") not in RESOLVE_ATTEMPTS
    for actor in ("manager", "consumer")
]


def move_id(case: tuple[Status, Status, str]) -> str:
    start, target, actor = case
    return f"{start.value}->{target.value}-by-{actor}"


def exactly(message: str) -> str:
    """A ``pytest.raises`` pattern matching ``message`` and nothing more."""
    return f"^{re.escape(message)}$"


def label(status: Status) -> str:
    return status.label.lower()


@pytest.fixture
def acting_as(request: pytest.FixtureRequest, complaint: Complaint) -> Callable[[str], User]:
    """The user behind an actor name, as a request would carry them (2FA passed for staff)."""

    def actor(name: str) -> User:
        if name == "consumer":
            return as_request_user(request.getfixturevalue("consumer"))
        if name == "other_consumer":
            return as_request_user(request.getfixturevalue("other_consumer"))
        if name == "agent":
            return as_request_user(request.getfixturevalue("agent"))
        if name == "other_team_agent":
            return as_request_user(request.getfixturevalue("other_agent"))
        if name == "manager":
            return as_request_user(request.getfixturevalue("manager"))
        if name == "admin":
            return as_request_user(request.getfixturevalue("tenant_admin"))
        if name == "referred_specialist":
            specialist = request.getfixturevalue("specialist")
            complaint.specialist = specialist
            complaint.save(update_fields=["specialist"])
            return as_request_user(specialist)
        raise AssertionError(f"unknown actor {name}")

    return actor


@pytest.fixture
def staff_agent(agent: User) -> User:
    return as_request_user(agent)


@pytest.fixture
def owner(consumer: User) -> User:
    return as_request_user(consumer)


def resolve(complaint: Complaint, actor: User, root_cause: RootCause) -> Event:
    return resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="We refunded the second payment.",
        root_cause=root_cause,
        actor=actor,
    )


# --- The lifecycle table --------------------------------------------------------------------


def test_expected_moves_are_exactly_the_manual_rows_of_the_status_table() -> None:
    table = {
        (start, move.target) for move in MOVES.values() if move.manual for start in move.sources
    }
    assert table == set(EXPECTED_MOVES)


@pytest.mark.parametrize(
    ("start", "target", "actor"), ALLOWED_MOVES, ids=map(move_id, ALLOWED_MOVES)
)
def test_allowed_move_by_right_role_changes_status_and_writes_one_event(
    complaint: Complaint,
    acting_as: Callable[[str], User],
    start: Status,
    target: Status,
    actor: str,
) -> None:
    put_in_status(complaint, start)
    user = acting_as(actor)
    before = snapshot(complaint)

    event = change_status(complaint, target, actor=user, note="  Reason given.  ")

    complaint.refresh_from_db()
    assert complaint.status == target
    new_events = list(complaint.events.exclude(pk__in=before["events"]))
    assert new_events == [event]
    assert event.kind == Event.Kind.STATUS_CHANGED
    assert (event.from_status, event.to_status) == (start, target)
    assert event.actor_id == user.pk
    assert event.body == "Reason given."
    assert not event.is_internal


@pytest.mark.parametrize(
    ("start", "target", "actor"), WRONG_ROLE_MOVES, ids=map(move_id, WRONG_ROLE_MOVES)
)
def test_move_by_wrong_role_is_refused_and_changes_nothing(
    complaint: Complaint,
    acting_as: Callable[[str], User],
    start: Status,
    target: Status,
    actor: str,
) -> None:
    put_in_status(complaint, start)
    user = acting_as(actor)
    before = snapshot(complaint)

    message = f"You may not move this complaint from {label(start)} to {label(target)}."
    with pytest.raises(ComplaintError, match=exactly(message)):
        change_status(complaint, target, actor=user)

    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    ("start", "target", "actor"), FORBIDDEN_MOVES, ids=map(move_id, FORBIDDEN_MOVES)
)
def test_move_the_status_forbids_is_refused_and_changes_nothing(
    complaint: Complaint,
    acting_as: Callable[[str], User],
    start: Status,
    target: Status,
    actor: str,
) -> None:
    put_in_status(complaint, start)
    user = acting_as(actor)
    before = snapshot(complaint)

    message = f"A complaint that is {label(start)} cannot be moved to {label(target)}."
    with pytest.raises(ComplaintError, match=exactly(message)):
        change_status(complaint, target, actor=user)

    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    ("start", "target", "actor"), RESOLVE_ATTEMPTS, ids=map(move_id, RESOLVE_ATTEMPTS)
)
def test_resolving_by_status_change_is_refused_and_staff_are_pointed_to_the_resolution(
    complaint: Complaint,
    acting_as: Callable[[str], User],
    start: Status,
    target: Status,
    actor: str,
) -> None:
    put_in_status(complaint, start)
    user = acting_as(actor)
    before = snapshot(complaint)

    if actor in RIGHT_ACTORS[STAFF]:
        message = "Resolve the complaint with its outcome and summary."
    else:
        message = f"You may not move this complaint from {label(start)} to {label(target)}."
    with pytest.raises(ComplaintError, match=exactly(message)):
        change_status(complaint, target, actor=user)

    assert snapshot(complaint) == before


def test_unknown_status_is_refused_with_a_readable_message(
    complaint: Complaint, staff_agent: User
) -> None:
    before = snapshot(complaint)
    with pytest.raises(ComplaintError, match=exactly("'archived' is not a complaint status.")):
        change_status(complaint, "archived", actor=staff_agent)
    assert snapshot(complaint) == before


def test_status_string_values_are_accepted_like_members(
    complaint: Complaint, staff_agent: User
) -> None:
    event = change_status(complaint, "open", actor=staff_agent)
    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN
    assert (event.from_status, event.to_status) == (Status.NEW, Status.OPEN)


def test_resolving_stamps_resolved_at_and_closing_stamps_closed_at(
    complaint: Complaint, staff_agent: User, root_cause: RootCause
) -> None:
    started = timezone.now()
    resolve(complaint, staff_agent, root_cause)
    complaint.refresh_from_db()
    assert complaint.resolved_at is not None
    assert complaint.resolved_at >= started
    assert complaint.closed_at is None

    change_status(complaint, Status.CLOSED, actor=staff_agent)
    complaint.refresh_from_db()
    assert complaint.closed_at is not None
    assert complaint.closed_at >= complaint.resolved_at


def test_consumer_rejecting_the_resolution_reopens_and_clears_resolved_at(
    complaint: Complaint, staff_agent: User, owner: User, root_cause: RootCause
) -> None:
    resolve(complaint, staff_agent, root_cause)
    reject_resolution(complaint, "The refund never arrived.", actor=owner)
    complaint.refresh_from_db()
    assert complaint.status == Status.REOPENED
    assert complaint.resolved_at is None


def test_staff_reopening_a_resolution_clears_resolved_at(
    complaint: Complaint, staff_agent: User, root_cause: RootCause
) -> None:
    resolve(complaint, staff_agent, root_cause)
    change_status(complaint, Status.REOPENED, actor=staff_agent)
    complaint.refresh_from_db()
    assert complaint.status == Status.REOPENED
    assert complaint.resolved_at is None


def test_manager_reopening_a_closed_complaint_clears_resolved_and_closed_at(
    complaint: Complaint, staff_agent: User, manager: User, root_cause: RootCause
) -> None:
    resolve(complaint, staff_agent, root_cause)
    change_status(complaint, Status.CLOSED, actor=staff_agent)

    event = change_status(complaint, Status.REOPENED, actor=as_request_user(manager))

    complaint.refresh_from_db()
    assert complaint.status == Status.REOPENED
    assert (complaint.resolved_at, complaint.closed_at) == (None, None)
    assert (event.from_status, event.to_status) == (Status.CLOSED, Status.REOPENED)


def test_manager_may_move_a_complaint_of_any_team(
    make_complaint: Callable[..., Complaint], other_team: Team, manager: User
) -> None:
    elsewhere = make_complaint()
    elsewhere.team = other_team
    elsewhere.save(update_fields=["team"])
    change_status(elsewhere, Status.OPEN, actor=as_request_user(manager))
    elsewhere.refresh_from_db()
    assert elsewhere.status == Status.OPEN


def test_agent_may_move_an_unrouted_complaint(
    make_complaint: Callable[..., Complaint], staff_agent: User
) -> None:
    unrouted = make_complaint()
    assert unrouted.team_id is None
    change_status(unrouted, Status.OPEN, actor=staff_agent)
    unrouted.refresh_from_db()
    assert unrouted.status == Status.OPEN


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("agent", [Status.OPEN, Status.AWAITING_CONSUMER]),
        ("manager", [Status.OPEN, Status.AWAITING_CONSUMER]),
        ("consumer", [Status.WITHDRAWN]),
        ("other_consumer", []),
        ("other_team_agent", []),
        ("referred_specialist", []),
        ("admin", []),
    ],
)
def test_allowed_statuses_of_a_new_complaint_depend_on_the_role(
    complaint: Complaint, acting_as: Callable[[str], User], actor: str, expected: list[Status]
) -> None:
    assert allowed_statuses(complaint, acting_as(actor)) == expected


def test_allowed_statuses_of_a_resolved_complaint_offer_closing_and_reopening_to_staff_only(
    complaint: Complaint, staff_agent: User, owner: User
) -> None:
    put_in_status(complaint, Status.RESOLVED)
    # The consumer answers a resolution with accept/reject, not a plain status change.
    assert allowed_statuses(complaint, owner) == []
    assert allowed_statuses(complaint, staff_agent) == [Status.CLOSED, Status.REOPENED]


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("manager", [Status.REOPENED]),
        ("agent", []),
        ("consumer", []),
        ("admin", []),
    ],
)
def test_only_a_manager_may_reopen_a_closed_complaint(
    complaint: Complaint, acting_as: Callable[[str], User], actor: str, expected: list[Status]
) -> None:
    put_in_status(complaint, Status.CLOSED)
    assert allowed_statuses(complaint, acting_as(actor)) == expected


def test_nobody_may_move_a_withdrawn_complaint(
    complaint: Complaint, staff_agent: User, owner: User, manager: User
) -> None:
    put_in_status(complaint, Status.WITHDRAWN)
    assert allowed_statuses(complaint, staff_agent) == []
    assert allowed_statuses(complaint, owner) == []
    assert allowed_statuses(complaint, as_request_user(manager)) == []


# --- Replies --------------------------------------------------------------------------------


def test_first_staff_reply_sets_first_responded_at_and_opens_a_new_complaint(
    complaint: Complaint, staff_agent: User
) -> None:
    before = snapshot(complaint)
    started = timezone.now()

    event = reply_to_complaint(complaint, "  We are looking into it.  ", actor=staff_agent)

    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN
    assert complaint.first_responded_at is not None
    assert complaint.first_responded_at >= started
    assert list(complaint.events.exclude(pk__in=before["events"])) == [event]
    assert event.kind == Event.Kind.REPLY
    assert event.body == "We are looking into it."
    assert (event.from_status, event.to_status) == (Status.NEW, Status.OPEN)
    assert not event.is_internal


def test_later_staff_reply_keeps_first_responded_at_and_records_no_status_change(
    complaint: Complaint, staff_agent: User
) -> None:
    reply_to_complaint(complaint, "First answer.", actor=staff_agent)
    complaint.refresh_from_db()
    first_response = complaint.first_responded_at

    event = reply_to_complaint(complaint, "Second answer.", actor=staff_agent)

    complaint.refresh_from_db()
    assert complaint.first_responded_at == first_response
    assert complaint.status == Status.OPEN
    assert (event.from_status, event.to_status) == ("", "")


def test_staff_reply_on_awaiting_consumer_keeps_waiting_for_the_consumer(
    complaint: Complaint, staff_agent: User
) -> None:
    put_in_status(complaint, Status.AWAITING_CONSUMER)
    reply_to_complaint(complaint, "A reminder: please send the statement.", actor=staff_agent)
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    assert complaint.first_responded_at is not None


def test_consumer_reply_on_awaiting_consumer_reopens_work_in_a_single_reply_event(
    complaint: Complaint, owner: User
) -> None:
    put_in_status(complaint, Status.AWAITING_CONSUMER)
    before = snapshot(complaint)

    event = reply_to_complaint(complaint, "Here is the statement.", actor=owner)

    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN
    assert list(complaint.events.exclude(pk__in=before["events"])) == [event]
    assert event.kind == Event.Kind.REPLY
    assert (event.from_status, event.to_status) == (Status.AWAITING_CONSUMER, Status.OPEN)
    assert event.by_consumer


def test_consumer_reply_is_not_a_first_response_and_leaves_a_new_complaint_new(
    complaint: Complaint, owner: User
) -> None:
    event = reply_to_complaint(complaint, "Any news?", actor=owner)
    complaint.refresh_from_db()
    assert complaint.status == Status.NEW
    assert complaint.first_responded_at is None
    assert (event.from_status, event.to_status) == ("", "")


@pytest.mark.parametrize("final", [Status.CLOSED, Status.WITHDRAWN])
@pytest.mark.parametrize("actor", ["consumer", "agent"])
def test_reply_on_closed_or_withdrawn_complaint_is_refused(
    complaint: Complaint, acting_as: Callable[[str], User], final: Status, actor: str
) -> None:
    put_in_status(complaint, final)
    before = snapshot(complaint)
    message = f"This complaint is {label(final)}; it no longer takes replies."
    with pytest.raises(ComplaintError, match=exactly(message)):
        reply_to_complaint(complaint, "Hello?", actor=acting_as(actor))
    assert snapshot(complaint) == before


@pytest.mark.parametrize("body", ["", "   ", "\n\t "])
@pytest.mark.parametrize("actor", ["consumer", "agent"])
def test_empty_reply_is_refused(
    complaint: Complaint, acting_as: Callable[[str], User], body: str, actor: str
) -> None:
    before = snapshot(complaint)
    with pytest.raises(ComplaintError, match=exactly("A reply cannot be empty.")):
        reply_to_complaint(complaint, body, actor=acting_as(actor))
    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    "actor",
    ["other_consumer", "other_team_agent", "referred_specialist", "admin"],
)
def test_reply_by_someone_not_handling_the_complaint_is_refused(
    complaint: Complaint, acting_as: Callable[[str], User], actor: str
) -> None:
    user = acting_as(actor)
    before = snapshot(complaint)
    with pytest.raises(ComplaintError, match=exactly("You may not reply to this complaint.")):
        reply_to_complaint(complaint, "Hello", actor=user)
    assert snapshot(complaint) == before


# --- Internal notes -------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["agent", "manager", "referred_specialist"])
def test_internal_note_is_internal_and_leaves_the_status_alone(
    complaint: Complaint, acting_as: Callable[[str], User], actor: str
) -> None:
    user = acting_as(actor)
    before = snapshot(complaint)

    event = add_internal_note(complaint, "  Checked the ledger.  ", actor=user)

    complaint.refresh_from_db()
    assert complaint.status == Status.NEW
    assert complaint.first_responded_at is None
    assert list(complaint.events.exclude(pk__in=before["events"])) == [event]
    assert (event.kind, event.body, event.is_internal) == (
        Event.Kind.NOTE,
        "Checked the ledger.",
        True,
    )
    assert (event.from_status, event.to_status) == ("", "")


@pytest.mark.parametrize("body", ["", "  \n "])
def test_empty_note_is_refused(complaint: Complaint, staff_agent: User, body: str) -> None:
    before = snapshot(complaint)
    with pytest.raises(ComplaintError, match=exactly("A note cannot be empty.")):
        add_internal_note(complaint, body, actor=staff_agent)
    assert snapshot(complaint) == before


@pytest.mark.parametrize("actor", ["consumer", "other_consumer", "other_team_agent", "admin"])
def test_note_by_someone_not_working_the_complaint_is_refused(
    complaint: Complaint, acting_as: Callable[[str], User], actor: str
) -> None:
    user = acting_as(actor)
    before = snapshot(complaint)
    with pytest.raises(ComplaintError, match=exactly("You may not add notes to this complaint.")):
        add_internal_note(complaint, "Psst", actor=user)
    assert snapshot(complaint) == before


def test_specialist_not_referred_may_not_add_a_note(complaint: Complaint, specialist: User) -> None:
    before = snapshot(complaint)
    with pytest.raises(ComplaintError, match=exactly("You may not add notes to this complaint.")):
        add_internal_note(complaint, "Psst", actor=as_request_user(specialist))
    assert snapshot(complaint) == before


# --- Submission -----------------------------------------------------------------------------


def test_submit_logs_a_new_complaint_with_one_submitted_event_and_an_acknowledgement(
    consumer: User, category: Category
) -> None:
    made = submit_complaint(
        consumer=consumer,
        actor=consumer,
        subject="  Card payment taken twice ",
        description=" The payment left twice. ",
        desired_outcome=" A refund. ",
        category=category,
    )

    made.refresh_from_db()
    assert (made.subject, made.description, made.desired_outcome) == (
        "Card payment taken twice",
        "The payment left twice.",
        "A refund.",
    )
    assert (made.status, made.channel, made.consumer, made.category) == (
        Status.NEW,
        Channel.PORTAL,
        consumer,
        category,
    )
    submitted, letter = made.events.all()
    assert (submitted.kind, submitted.actor_id, submitted.from_status, submitted.to_status) == (
        Event.Kind.SUBMITTED,
        consumer.pk,
        "",
        Status.NEW,
    )
    # The acknowledgement is a separate communication the consumer sees, sent by the system.
    assert (letter.kind, letter.actor_id, letter.is_internal) == (Event.Kind.LETTER, None, False)
    assert letter.data["letter"] == LetterKind.ACKNOWLEDGEMENT
    assert (letter.from_status, letter.to_status) == ("", "")
    assert made.acknowledged_at is not None


def test_submit_makes_the_complaint_findable_by_full_text_search(consumer: User) -> None:
    made = submit_complaint(
        consumer=consumer, actor=consumer, subject="Roaming charges", description="Billed abroad."
    )
    assert list(Complaint.objects.filter(search_vector="roaming")) == [made]
    assert not Complaint.objects.filter(search_vector="mortgage").exists()


def test_staff_may_log_a_complaint_on_behalf_of_a_consumer(consumer: User, agent: User) -> None:
    made = submit_complaint(
        consumer=consumer,
        actor=as_request_user(agent),
        subject="Called about fees",
        description="Caller disputes an overdraft fee.",
        channel=Channel.PHONE,
    )
    assert made.consumer == consumer
    assert made.channel == Channel.PHONE
    assert made.events.get(kind=Event.Kind.SUBMITTED).actor == agent


def test_a_plain_staff_user_logs_on_behalf_without_any_request_state(
    consumer: User, agent: User
) -> None:
    # The second factor is enforced at the edges (middleware, API authentication); services
    # take a plain user, as a Celery task or a management command has.
    plain = User.objects.get(pk=agent.pk)
    assert not hasattr(plain, "is_verified")

    complaint = submit_complaint(
        consumer=consumer,
        actor=plain,
        subject="Called about fees",
        description="Caller disputes an overdraft fee.",
        channel=Channel.PHONE,
    )

    assert complaint.events.get(kind=Event.Kind.SUBMITTED).actor_id == agent.pk


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.ADMIN])
def test_submit_refuses_a_staff_account_as_the_complainant(
    make_user: Callable[..., User], role: Role
) -> None:
    staff = make_user(role)
    with pytest.raises(ComplaintError, match="only be logged for a consumer account"):
        submit_complaint(consumer=staff, actor=staff, subject="Subject", description="Text")
    assert not Complaint.objects.exists()


def test_a_consumer_may_not_log_a_complaint_for_another_consumer(
    consumer: User, other_consumer: User
) -> None:
    with pytest.raises(ComplaintError, match=exactly("You may only log complaints for yourself.")):
        submit_complaint(
            consumer=consumer, actor=other_consumer, subject="Subject", description="Text"
        )
    assert not Complaint.objects.exists()


def test_submit_refuses_a_received_time_in_the_future(consumer: User) -> None:
    with pytest.raises(ComplaintError, match="cannot be in the future"):
        submit_complaint(
            consumer=consumer,
            actor=consumer,
            subject="Subject",
            description="Text",
            received_at=timezone.now() + timedelta(minutes=5),
        )
    assert not Complaint.objects.exists()


def test_submit_accepts_a_received_time_in_the_past(consumer: User) -> None:
    received = timezone.now() - timedelta(days=3)
    made = submit_complaint(
        consumer=consumer,
        actor=consumer,
        subject="Letter",
        description="Text",
        received_at=received,
    )
    made.refresh_from_db()
    assert made.received_at == received


def test_submit_refuses_an_inactive_category(consumer: User, category: Category) -> None:
    category.is_active = False
    category.save(update_fields=["is_active"])
    with pytest.raises(
        ComplaintError, match=exactly("That category is no longer in use; choose another.")
    ):
        submit_complaint(
            consumer=consumer, actor=consumer, subject="S", description="D", category=category
        )
    assert not Complaint.objects.exists()


@pytest.mark.parametrize(
    ("subject", "description"),
    [("", "Text"), ("   ", "Text"), ("Subject", ""), ("Subject", " \n ")],
    ids=["empty-subject", "blank-subject", "empty-description", "blank-description"],
)
def test_submit_refuses_an_empty_subject_or_description(
    consumer: User, subject: str, description: str
) -> None:
    with pytest.raises(
        ComplaintError, match=exactly("A complaint needs a subject and a description.")
    ):
        submit_complaint(
            consumer=consumer, actor=consumer, subject=subject, description=description
        )
    assert not Complaint.objects.exists()
    assert not Event.objects.exists()


# --- References -----------------------------------------------------------------------------

REFERENCE = re.compile(r"^C-(\d{4})-(\d{6})$")


def reference_number(complaint: Complaint) -> int:
    match = REFERENCE.match(complaint.reference)
    assert match, complaint.reference
    return int(match.group(2))


def test_reference_has_the_format_c_year_number(make_complaint: Callable[..., Complaint]) -> None:
    made = make_complaint()
    match = REFERENCE.match(made.reference)
    assert match, made.reference
    assert match.group(1) == f"{made.received_at:%Y}"


def test_reference_year_is_the_year_of_receipt(make_complaint: Callable[..., Complaint]) -> None:
    received = timezone.now().replace(year=2023, month=6, day=15)
    made = make_complaint(received_at=received)
    assert made.reference.startswith("C-2023-")


def test_references_are_unique_and_increasing_within_a_tenant(
    make_complaint: Callable[..., Complaint],
) -> None:
    made = [make_complaint() for _ in range(5)]
    numbers = [reference_number(complaint) for complaint in made]
    assert numbers == sorted(numbers)
    assert len({complaint.reference for complaint in made}) == 5
    assert all(later > earlier for earlier, later in itertools.pairwise(numbers))


def test_each_tenant_numbers_its_references_with_its_own_sequence(
    make_complaint: Callable[..., Complaint],
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    activate(bank)
    first_bank = make_complaint()
    activate(telco)
    telco_consumer = create_user(Role.CONSUMER, "telco-casey@example.com")
    telco_complaints = [make_complaint(owner=telco_consumer) for _ in range(3)]
    activate(bank)
    second_bank = make_complaint()

    # Three telco references drawn in between leave no gap in the bank's numbering.
    assert reference_number(second_bank) == reference_number(first_bank) + 1
    telco_numbers = [reference_number(complaint) for complaint in telco_complaints]
    assert telco_numbers == list(range(telco_numbers[0], telco_numbers[0] + 3))
