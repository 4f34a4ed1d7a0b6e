"""A refused action always tells the person why, by a normal POST and by htmx.

Each console and portal action is tried in a state where the change is refused. The reason
must be in the page shown after the POST (or in the htmx workspace fragment), even when the
page no longer carries the form that sent it, and nothing may change.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import User
from complaints.models import (
    Category,
    Complaint,
    Outcome,
    ResolutionProposal,
    RootCause,
    Status,
    Team,
)
from complaints.views import CONSOLE_ACTIONS, PORTAL_ACTIONS
from configuration.models import TenantSettings
from tests.complaints.conftest import snapshot

HTMX = {"HTTP_HX_REQUEST": "true"}
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def set_fields(complaint: Complaint, **fields: Any) -> None:
    """Test set-up: write the complaint's state directly, without a timeline event."""
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    complaint.refresh_from_db()


@dataclass
class World:
    complaint: Complaint
    front_line: Team
    category: Category
    agent: User
    other_agent: User
    specialist: User
    manager: User
    make_complaint: Callable[..., Complaint]
    other_consumer: User


@dataclass(frozen=True)
class Refusal:
    """Who tries the action, the state that makes it refused, the form sent and the reason."""

    client: str
    arrange: Callable[[World], dict[str, Any]]
    message: str


def _closed(w: World, data: dict[str, Any]) -> dict[str, Any]:
    set_fields(w.complaint, status=Status.CLOSED, closed_at=timezone.now())
    return data


def _resolved(w: World, **fields: Any) -> None:
    resolution = {
        "status": Status.RESOLVED,
        "resolved_at": timezone.now(),
        "outcome": Outcome.UPHELD,
        "resolution_summary": "We refunded you.",
    }
    set_fields(w.complaint, **(resolution | fields))


def _decided_proposal(w: World, data: dict[str, Any]) -> dict[str, Any]:
    policy = TenantSettings.editable()
    policy.final_response_approval = True
    policy.save()
    proposal = ResolutionProposal.objects.create(
        complaint=w.complaint,
        outcome=Outcome.UPHELD,
        summary="We refunded you.",
        root_cause=RootCause.objects.create(name="Staff error"),
        proposed_by=w.agent,
        decision=ResolutionProposal.Decision.APPROVED,
        decided_by=w.manager,
        decided_at=timezone.now(),
    )
    return {"proposal": proposal.pk, **data}


def _claimed_by_other_agent(w: World) -> dict[str, Any]:
    w.front_line.members.add(w.other_agent)
    set_fields(w.complaint, assignee=w.other_agent, status=Status.OPEN)
    return {}


def _resolve(w: World) -> dict[str, Any]:
    _resolved(w)
    return {
        "outcome": "upheld",
        "root_cause": RootCause.objects.create(name="Process gap").pk,
        "summary": "Again",
    }


CONSOLE_REFUSALS: dict[str, Refusal] = {
    "reply": Refusal(
        "manager_client",
        lambda w: _closed(w, {"body": "Hello again"}),
        "This complaint is closed; it no longer takes replies.",
    ),
    "note": Refusal(
        "manager_client",
        lambda w: {
            "body": "See the file",
            "attachments": SimpleUploadedFile("tool.exe", b"MZ\x90\x00\x03" + bytes(64)),
        },
        "“tool.exe” is not a file type we accept.",
    ),
    "status": Refusal(
        "manager_client",
        lambda w: {"status": Status.RESOLVED},
        "Resolve the complaint with its outcome and summary.",
    ),
    "claim": Refusal(
        "agent_client",
        _claimed_by_other_agent,
        "Blake Billing already has this complaint; ask a manager to reassign it.",
    ),
    "assign": Refusal(
        "manager_client",
        lambda w: set_fields(w.complaint, assignee=w.agent) or {"assignee": w.agent.pk},
        "Alex Agent already has this complaint.",
    ),
    "team": Refusal(
        "manager_client",
        lambda w: {"team": w.front_line.pk},
        "The complaint is already in Front line.",
    ),
    "priority": Refusal(
        "manager_client",
        lambda w: {"priority": w.complaint.priority},
        "The complaint already has that priority.",
    ),
    "category": Refusal(
        "manager_client",
        lambda w: set_fields(w.complaint, category=w.category) or {"category": w.category.pk},
        "The complaint already has that category.",
    ),
    "refer": Refusal(
        "manager_client",
        lambda w: (
            set_fields(w.complaint, specialist=w.specialist)
            or {"specialist": w.specialist.pk, "note": "Please look"}
        ),
        "The complaint is already with a specialist.",
    ),
    "hand_back": Refusal(
        "specialist_client",
        lambda w: set_fields(w.complaint, specialist=w.specialist) or {"findings": "   "},
        "This field is required.",
    ),
    "escalate": Refusal(
        "manager_client",
        lambda w: _closed(w, {"reason": "Angry customer"}),
        "Only complaints still being worked can be escalated.",
    ),
    "resolve": Refusal(
        "manager_client", _resolve, "A complaint that is resolved cannot be resolved."
    ),
    "approve_resolution": Refusal(
        "manager_client",
        lambda w: _decided_proposal(w, {}),
        "That resolution is no longer waiting for approval. Reload the page to see why.",
    ),
    "return_resolution": Refusal(
        "manager_client",
        lambda w: _decided_proposal(w, {"comment": "Add the redress."}),
        "That resolution is no longer waiting for approval. Reload the page to see why.",
    ),
    "holding_response": Refusal(
        "manager_client",
        lambda w: _closed(
            w, {"reason": "Waiting for records", "expected": (NOW + timedelta(days=30)).date()}
        ),
        "The complaint is no longer open.",
    ),
    "in_progress": Refusal(
        "manager_client",
        lambda w: _closed(w, {"steps": "We asked the branch for its records."}),
        "The complaint is no longer open.",
    ),
    "merge": Refusal(
        "manager_client",
        lambda w: {"target": w.make_complaint(owner=w.other_consumer).reference},
        "This consumer has no complaint with the reference",
    ),
}

PORTAL_REFUSALS: dict[str, Refusal] = {
    "reply": Refusal(
        "consumer_client",
        lambda w: _closed(w, {"body": "One more thing"}),
        "This complaint is closed; it no longer takes replies.",
    ),
    "status": Refusal(
        "consumer_client",
        lambda w: _closed(w, {"status": Status.WITHDRAWN}),
        "A complaint that is closed cannot be moved to withdrawn.",
    ),
    "accept": Refusal(
        "consumer_client",
        lambda w: set_fields(w.complaint, status=Status.OPEN) or {},
        "There is no resolution waiting for your answer.",
    ),
    "reject": Refusal(
        "consumer_client",
        lambda w: (
            _resolved(w, resolved_at=timezone.now() - timedelta(days=400))
            or {"reason": "Still not fixed"}
        ),
        "The time to reject this resolution has passed. Contact us if you are still unhappy.",
    ),
    "rate": Refusal(
        "consumer_client",
        lambda w: _resolved(w, satisfaction_score=4) or {"score": "2", "comment": "Meh"},
        "You have already rated this complaint.",
    ),
}


def test_every_action_has_a_refusal_case() -> None:
    assert set(CONSOLE_REFUSALS) == CONSOLE_ACTIONS
    assert set(PORTAL_REFUSALS) == PORTAL_ACTIONS


@pytest.fixture
def world(
    complaint: Complaint,
    front_line: Team,
    category: Category,
    agent: User,
    other_agent: User,
    specialist: User,
    manager: User,
    make_complaint: Callable[..., Complaint],
    other_consumer: User,
) -> World:
    return World(
        complaint,
        front_line,
        category,
        agent,
        other_agent,
        specialist,
        manager,
        make_complaint,
        other_consumer,
    )


CASES = [("console", name, refusal) for name, refusal in CONSOLE_REFUSALS.items()] + [
    ("portal", name, refusal) for name, refusal in PORTAL_REFUSALS.items()
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(
    ("where", "action", "refusal"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_a_refused_action_shows_its_reason(
    request: pytest.FixtureRequest,
    world: World,
    where: str,
    action: str,
    refusal: Refusal,
    htmx: bool,
) -> None:
    client: Client = request.getfixturevalue(refusal.client)
    data = refusal.arrange(world)
    before = snapshot(world.complaint)
    prefix = "/console/complaints" if where == "console" else "/complaints"

    response = client.post(
        f"{prefix}/{world.complaint.reference}/{action}/", data, **(HTMX if htmx else {})
    )

    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert refusal.message in content
    if htmx:
        assert content.lstrip().startswith('<div id="workspace"')
    else:
        assert "<html" in content
    assert snapshot(world.complaint) == before
    # Shown once, then gone: the next page does not repeat it.
    again = client.get(f"{prefix}/{world.complaint.reference}/")
    assert refusal.message not in html.unescape(again.content.decode())
