"""Two API clients acting on the same complaint at the same moment, each on its own database
connection: If-Match lets exactly one change through; one Idempotency-Key changes once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.test import Client

from accounts.api import issue_tokens
from complaints.models import Complaint, Event
from tenancy.models import Tenant
from tests.complaints import test_concurrency
from tests.complaints.test_concurrency import World, in_bank, race

# Committed people and a team in the bank's schema (the page-level race tests' fixture).
world = test_concurrency.world


def clients_for(world: World) -> tuple[Client, Client, str]:
    """Two staff clients of the bank, and the action URL base of a fresh complaint."""
    bank = in_bank(lambda: Tenant.objects.get(slug="bank"))

    def client(user: Any) -> Client:
        access = in_bank(lambda: issue_tokens(user, second_factor=True)["access"])
        return Client(HTTP_HOST=bank.host, HTTP_AUTHORIZATION=f"Bearer {access}")

    complaint = in_bank(world.complaint)
    return client(world.alex), client(world.blake), f"/api/v1/complaints/{complaint.reference}/"


def test_two_clients_with_one_etag_one_changes_the_other_gets_412(world: World) -> None:
    alex, blake, base = clients_for(world)
    etag = alex.get(base)["ETag"]
    statuses: list[int] = []

    def change(client: Client, priority: str) -> Callable[[], Callable[[], None]]:
        def prepare() -> Callable[[], None]:
            def go() -> None:
                response = client.post(
                    f"{base}actions/change-priority/",
                    {"priority": priority},
                    content_type="application/json",
                    HTTP_IF_MATCH=etag,
                )
                statuses.append(response.status_code)

            return go

        return prepare

    race(change(alex, "high"), change(blake, "low"))

    assert sorted(statuses) == [200, 412]
    reference = base.split("/")[-2]
    changes = in_bank(
        lambda: Event.objects.filter(
            complaint__reference=reference, kind=Event.Kind.PRIORITY_CHANGED
        ).count()
    )
    assert changes == 1


def test_two_clients_sending_one_idempotency_key_change_once(world: World) -> None:
    alex, _, base = clients_for(world)
    statuses: list[int] = []

    def note() -> Callable[[], None]:
        def go() -> None:
            response = alex.post(
                f"{base}messages/",
                {"body": "Called the consumer", "internal": True},
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="note-once",
            )
            statuses.append(response.status_code)

        return go

    race(note, note)

    # The second is told the first is still running (409) or given its answer (201).
    assert sorted(statuses) in ([201, 201], [201, 409])
    reference = base.split("/")[-2]
    notes = in_bank(
        lambda: Complaint.objects.get(reference=reference).events.filter(kind="note").count()
    )
    assert notes == 1
