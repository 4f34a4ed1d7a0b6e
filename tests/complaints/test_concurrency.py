"""Two staff (or a consumer in two tabs) changing the same complaint at the same moment.

Each side runs in its own thread with its own database connection against committed data,
and each loads the complaint (with its related objects) before either acts, as two browsers
do. The gate locks and re-reads the row, so one side wins and the other gets the domain error
with a message a person can act on; e-mails go to whoever holds the complaint afterwards.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from accounts.models import Role, User
from complaints.models import Complaint, Event, LetterKind, Outcome, RootCause, Status, Team
from complaints.services import (
    ComplaintError,
    accept_resolution,
    assign_complaint,
    merge_complaint,
    reject_resolution,
    reply_and_resolve,
    reply_to_complaint,
    resolve_complaint,
    submit_complaint,
)
from complaints.services.resolution import REPLY_NOT_SENT
from notifications.models import Notification
from outbox.models import Message
from reports.rollups import rebuild_counts
from tenancy.models import Tenant
from tests.conftest import create_user, sign_in, tenant_client

DOMAIN = "race.example"


def in_bank(work: Callable[[], Any]) -> Any:
    """Run ``work`` on a fresh thread's own connection, in the bank's schema, committed."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            connection.set_schema_to_public()
            connection.set_tenant(Tenant.objects.get(slug="bank"))
            result["value"] = work()
        except BaseException as error:  # handed to the caller's thread
            result["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


@dataclass
class Outcomes:
    """What each of the two racing sides got: a result, or the domain error's message."""

    results: list[Any] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    crashes: list[BaseException] = field(default_factory=list)


def race(*sides: Callable[[], Any]) -> Outcomes:
    """Start every side at the same moment, each on its own connection; collect outcomes."""
    outcomes = Outcomes()
    barrier = threading.Barrier(len(sides))
    lock = threading.Lock()

    def run(side: Callable[[], Any]) -> None:
        try:
            connection.set_schema_to_public()
            connection.set_tenant(Tenant.objects.get(slug="bank"))
            prepared = side()  # load what the page had loaded, then wait for the other side
            barrier.wait(timeout=10)
            value = prepared()
            with lock:
                outcomes.results.append(value)
        except ComplaintError as error:
            with lock:
                outcomes.refusals.append(str(error))
        except BaseException as error:
            with lock:
                outcomes.crashes.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(side,)) for side in sides]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not outcomes.crashes, outcomes.crashes
    return outcomes


@dataclass
class World:
    consumer: User
    alex: User
    blake: User
    manager: User
    team: Team
    root_cause: RootCause

    def complaint(self, **kwargs: Any) -> Complaint:
        made = submit_complaint(
            consumer=self.consumer,
            actor=self.consumer,
            subject="Card payment taken twice",
            description="The payment left my account twice.",
            **kwargs,
        )
        Complaint.objects.filter(pk=made.pk).update(team=self.team)
        return made


def _clean() -> None:
    complaints = Complaint.objects.filter(consumer__email__endswith=DOMAIN)
    references = list(complaints.values_list("reference", flat=True))
    Complaint.objects.filter(merged_into__in=complaints).update(merged_into=None)
    complaints.delete()
    Message.objects.filter(recipient__endswith=DOMAIN).delete()
    for reference in references:
        Message.objects.filter(body__contains=reference).delete()
    User.objects.filter(email__endswith=DOMAIN).delete()
    Team.objects.filter(name="Race team").delete()
    RootCause.objects.filter(name="Race cause").delete()
    # The committed changes counted in the report rollups; the deleted complaints must not.
    rebuild_counts()


@pytest.fixture
def world(db: None, django_db_blocker: Any) -> Iterator[World]:
    """Committed people and a team in the bank's schema, removed again afterwards."""
    with django_db_blocker.unblock():

        def build() -> World:
            _clean()
            team = Team.objects.create(name="Race team")
            alex = create_user(Role.AGENT, f"alex@{DOMAIN}", full_name="Alex Agent")
            blake = create_user(Role.AGENT, f"blake@{DOMAIN}", full_name="Blake Agent")
            team.members.add(alex, blake)
            return World(
                consumer=create_user(Role.CONSUMER, f"casey@{DOMAIN}", full_name="Casey"),
                alex=alex,
                blake=blake,
                manager=create_user(Role.MANAGER, f"morgan@{DOMAIN}", full_name="Morgan"),
                team=team,
                root_cause=RootCause.objects.create(name="Race cause"),
            )

        made = in_bank(build)
        try:
            yield made
        finally:
            in_bank(_clean)


def loaded(pk: int) -> Complaint:
    """The complaint as a page loads it: with its related objects cached."""
    return Complaint.objects.select_related("assignee", "team", "consumer").get(pk=pk)


def manager_resolves(complaint: Complaint, world: World) -> Callable[[], Callable[[], Any]]:
    """The manager's "Resolve" as pressed on their open page."""

    def prepare() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: resolve_complaint(
            page,
            outcome=Outcome.UPHELD,
            summary="We refunded the duplicate payment.",
            root_cause=world.root_cause,
            redress_amount=Decimal("84.20"),
            actor=world.manager,
        )

    return prepare


def test_claim_against_claim_one_wins_the_other_is_told_who_has_it(world: World) -> None:
    complaint = in_bank(world.complaint)

    def claim(agent: User) -> Callable[[], Any]:
        def prepare() -> Callable[[], Any]:
            page = loaded(complaint.pk)
            assert page.assignee is None
            return lambda: assign_complaint(page, agent, actor=agent)

        return prepare

    outcomes = race(claim(world.alex), claim(world.blake))

    assert len(outcomes.results) == 1
    winner = in_bank(lambda: Complaint.objects.get(pk=complaint.pk).assignee)
    assert winner in (world.alex, world.blake)
    assert outcomes.refusals == [
        f"{winner.display_name} already has this complaint; ask a manager to reassign it."
    ]
    assert in_bank(lambda: complaint.events.filter(kind=Event.Kind.ASSIGNED).count()) == 1


def test_claim_against_a_managers_assignment_leaves_one_holder_who_alone_is_emailed(
    world: World,
) -> None:
    complaint = in_bank(world.complaint)

    def claim() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: assign_complaint(page, world.alex, actor=world.alex)

    def assign() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: assign_complaint(page, world.blake, actor=world.manager)

    outcomes = race(claim, assign)

    # Either the claim went first and the manager then reassigned it to Blake, or the
    # manager went first and the claim was refused naming Blake: Blake holds it either way.
    holder = in_bank(lambda: Complaint.objects.get(pk=complaint.pk).assignee)
    assert holder == world.blake
    events = in_bank(lambda: list(complaint.events.filter(kind=Event.Kind.ASSIGNED)))
    assert events[-1].data["assignee"] == "Blake Agent"
    if outcomes.refusals:
        assert outcomes.refusals == [
            "Blake Agent already has this complaint; ask a manager to reassign it."
        ]
        assert len(events) == 1
    else:
        assert [event.data["previous_assignee"] for event in events] == ["", "Alex Agent"]
    told = in_bank(
        lambda: list(
            Message.objects.filter(subject__contains="is assigned to you").values_list(
                "recipient", flat=True
            )
        )
    )
    assert told == [world.blake.email]
    # In the console too: Blake alone has a notification, whichever side went first.
    notified = in_bank(
        lambda: list(
            Notification.objects.filter(complaint=complaint).values_list("recipient__email", "kind")
        )
    )
    assert notified == [(world.blake.email, Notification.Kind.ASSIGNED)]


def test_reply_against_resolve_both_apply_in_turn_on_the_fresh_row(world: World) -> None:
    complaint = in_bank(world.complaint)
    in_bank(lambda: assign_complaint(complaint, world.alex, actor=world.alex))

    def reply() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: reply_to_complaint(page, "We are looking into it.", actor=world.alex)

    outcomes = race(reply, manager_resolves(complaint, world))

    assert len(outcomes.results) == 2, outcomes.refusals
    row = in_bank(lambda: Complaint.objects.get(pk=complaint.pk))
    assert row.status == Status.RESOLVED
    assert row.first_responded_at is not None
    kinds = in_bank(lambda: list(complaint.events.values_list("kind", "from_status", "to_status")))
    moves = [(before, after) for _, before, after in kinds if after]
    # Every recorded move starts where the previous one ended: no change read a stale status.
    for (_, ended), (started, _) in itertools.pairwise(moves):
        assert started == ended


SENT_AND_RESOLVED = "We refunded the second payment of £42.10 to your card today."
ALREADY_RESOLVED = "A complaint that is resolved cannot be resolved."


def send_and_resolve(complaint: Complaint, world: World, actor: User) -> Callable[[], Any]:
    """The console's "Send and resolve" as ``actor`` would press it on their open page."""

    def prepare() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: reply_and_resolve(
            page,
            SENT_AND_RESOLVED if actor == world.alex else f"{SENT_AND_RESOLVED} (Blake)",
            outcome=Outcome.UPHELD,
            root_cause=world.root_cause,
            redress_amount=Decimal("42.10"),
            actor=actor,
        )

    return prepare


def resolved_once(complaint: Complaint) -> dict[str, Any]:
    """What the race left: the resolutions, the replies, the final letters and the status."""

    def read() -> dict[str, Any]:
        events = complaint.events.all()
        return {
            "status": Complaint.objects.get(pk=complaint.pk).status,
            "resolutions": events.filter(kind=Event.Kind.RESOLVED).count(),
            "replies": list(
                events.filter(kind=Event.Kind.REPLY, is_internal=False).values_list(
                    "body", flat=True
                )
            ),
            "final_letters": events.filter(
                kind=Event.Kind.LETTER,
                data__letter__in=[LetterKind.FINAL_RESPONSE, LetterKind.SUMMARY_RESOLUTION],
            ).count(),
        }

    result: dict[str, Any] = in_bank(read)
    return result


def test_send_and_resolve_against_a_plain_resolve_resolves_once_and_loses_no_reply(
    world: World,
) -> None:
    complaint = in_bank(world.complaint)
    in_bank(lambda: assign_complaint(complaint, world.alex, actor=world.alex))

    outcomes = race(
        send_and_resolve(complaint, world, world.alex), manager_resolves(complaint, world)
    )

    assert len(outcomes.results) == 1
    after = resolved_once(complaint)
    assert after["status"] == Status.RESOLVED
    assert after["resolutions"] == 1
    assert after["final_letters"] == 1
    # The reply went with the resolution that won, or was refused with it and its writer
    # told so: never sent after a resolution its writer did not see, nor dropped unsaid.
    if outcomes.results[0].actor_id == world.alex.pk:
        assert after["replies"] == [SENT_AND_RESOLVED]
        assert outcomes.refusals == [ALREADY_RESOLVED]
    else:
        assert after["replies"] == []
        assert outcomes.refusals == [f"{ALREADY_RESOLVED} {REPLY_NOT_SENT}"]


def test_two_send_and_resolves_resolve_once_with_the_winners_reply_only(world: World) -> None:
    complaint = in_bank(world.complaint)
    in_bank(lambda: assign_complaint(complaint, world.alex, actor=world.alex))

    outcomes = race(
        send_and_resolve(complaint, world, world.alex),
        send_and_resolve(complaint, world, world.manager),
    )

    assert len(outcomes.results) == 1
    assert outcomes.refusals == [f"{ALREADY_RESOLVED} {REPLY_NOT_SENT}"]
    after = resolved_once(complaint)
    assert after["status"] == Status.RESOLVED
    assert (after["resolutions"], after["final_letters"], len(after["replies"])) == (1, 1, 1)
    winner = outcomes.results[0].actor_id
    expected = SENT_AND_RESOLVED if winner == world.alex.pk else f"{SENT_AND_RESOLVED} (Blake)"
    assert after["replies"] == [expected]


def test_merging_a_into_b_against_b_into_a_merges_one_way_only(world: World) -> None:
    first = in_bank(world.complaint)
    second = in_bank(world.complaint)

    def merge(duplicate: Complaint, target: Complaint) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            dup, into = loaded(duplicate.pk), loaded(target.pk)
            return lambda: merge_complaint(dup, into, actor=world.manager)

        return prepare

    outcomes = race(merge(first, second), merge(second, first))

    assert len(outcomes.results) == 1
    assert len(outcomes.refusals) == 1
    assert (
        "closed as a duplicate" in outcomes.refusals[0]
        or "no longer open" in (outcomes.refusals[0])
    )
    rows = in_bank(lambda: list(Complaint.objects.filter(pk__in=[first.pk, second.pk])))
    merged = [row for row in rows if row.merged_into_id is not None]
    assert len(merged) == 1
    assert merged[0].status == Status.CLOSED
    survivor = next(row for row in rows if row.merged_into_id is None)
    assert survivor.status == Status.NEW


def test_accept_in_one_tab_against_reject_in_another_one_answer_stands(world: World) -> None:
    complaint = in_bank(world.complaint)
    in_bank(
        lambda: resolve_complaint(
            complaint,
            outcome=Outcome.NOT_UPHELD,
            summary="The payment was taken once; the second line is a pending authorisation.",
            root_cause=world.root_cause,
            actor=world.manager,
        )
    )

    def accept() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: accept_resolution(page, actor=world.consumer)

    def reject() -> Callable[[], Any]:
        page = loaded(complaint.pk)
        return lambda: reject_resolution(page, "Still two payments.", actor=world.consumer)

    outcomes = race(accept, reject)

    assert len(outcomes.results) == 1
    assert outcomes.refusals == ["There is no resolution waiting for your answer."]
    row = in_bank(lambda: Complaint.objects.get(pk=complaint.pk))
    assert row.status in (Status.CLOSED, Status.REOPENED)
    answers = in_bank(
        lambda: complaint.events.filter(
            kind__in=[Event.Kind.RESOLUTION_ACCEPTED, Event.Kind.RESOLUTION_REJECTED]
        ).count()
    )
    assert answers == 1


def test_two_agents_pressing_claim_in_the_console_get_no_server_error(world: World) -> None:
    complaint = in_bank(world.complaint)
    bank = in_bank(lambda: Tenant.objects.get(slug="bank"))

    def client_for(agent: User) -> Client:
        return in_bank(lambda: sign_in(tenant_client(bank), agent))

    clients = [client_for(world.alex), client_for(world.blake)]
    url = f"/console/complaints/{complaint.reference}/claim/"
    statuses: list[int] = []
    pages: list[str] = []

    def press(client: Client) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            def go() -> None:
                response = client.post(url, follow=True)
                statuses.append(response.status_code)
                pages.append(response.content.decode())

            return go

        return prepare

    race(press(clients[0]), press(clients[1]))

    assert statuses == [200, 200]
    holder = in_bank(lambda: Complaint.objects.get(pk=complaint.pk).assignee)
    assert any(f"{holder.display_name} already has this complaint" in page for page in pages)


def test_two_api_retries_with_one_idempotency_key_log_one_complaint(world: World) -> None:
    from accounts.api import issue_tokens

    bank = in_bank(lambda: Tenant.objects.get(slug="bank"))
    access = in_bank(lambda: issue_tokens(world.consumer, second_factor=False)["access"])
    answers: list[tuple[int, str]] = []

    def post() -> Callable[[], Any]:
        client = Client(HTTP_HOST=bank.host, HTTP_AUTHORIZATION=f"Bearer {access}")

        def go() -> None:
            response = client.post(
                "/api/v1/complaints/",
                {"subject": "Charged twice", "description": "Two debits of £84.20."},
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="9d7c2f4e-same-retry",
            )
            answers.append((response.status_code, response.json().get("reference", "")))

        return go

    race(post, post)

    statuses = sorted(status for status, _ in answers)
    # The second is either told the first is still running (409) or given its answer (201).
    assert statuses in ([201, 201], [201, 409])
    references = {reference for status, reference in answers if status == 201}
    assert len(references) == 1
    logged = in_bank(lambda: Complaint.objects.filter(consumer=world.consumer).count())
    assert logged == 1
