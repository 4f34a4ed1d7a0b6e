"""The one read path agrees with the rules, for every role and every kind of complaint.

``Complaint.objects.visible_to`` is the ``complaints.view_complaint`` rule written as a query;
``Event``/``Attachment.objects.visible_to`` add the internal-notes rule. Pages, the API, the
data export and search read through them, so if a query and its rule drift apart, this fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import rules
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import SYSTEM, ClientScope, Role, User
from complaints.models import Attachment, Complaint, Event, Team
from complaints.services import (
    add_internal_note,
    log_complaint_on_behalf,
    merge_complaint,
    reply_to_complaint,
)
from integrations.clients import create_client
from tests.conftest import create_user

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)

ROLES = [
    "owner",
    "other_consumer",
    "team_agent",
    "other_team_agent",
    "assigned_agent",
    "referred_specialist",
    "other_specialist",
    "manager",
    "admin",
    "system",
    "client_reading",
    "client_acting",
    "client_logging",
    "client_reporting",
]


@pytest.fixture
def cast(bank: Any, consumer: User, other_consumer: User, manager: User) -> dict[str, Any]:
    """Everyone who might read, and one complaint of each kind the rules tell apart."""
    front, back = Team.objects.create(name="Front"), Team.objects.create(name="Back")
    people: dict[str, Any] = {
        "owner": consumer,
        "other_consumer": other_consumer,
        "team_agent": create_user(Role.AGENT, "tina@example.com"),
        "other_team_agent": create_user(Role.AGENT, "otto@example.com"),
        "assigned_agent": create_user(Role.AGENT, "asha@example.com"),
        "referred_specialist": create_user(Role.SPECIALIST, "rita@example.com"),
        "other_specialist": create_user(Role.SPECIALIST, "oscar@example.com"),
        "manager": manager,
        "admin": create_user(Role.ADMIN, "ada@example.com"),
        "system": SYSTEM,
    }
    # API clients' identities, holding their scopes as the API authentication gives them.
    admin = people["admin"]
    for role, scope in [
        ("client_reading", ClientScope.READ_COMPLAINTS),
        ("client_acting", ClientScope.ACT_ON_COMPLAINTS),
        ("client_logging", ClientScope.LOG_COMPLAINTS),
        ("client_reporting", ClientScope.READ_REPORTS),
    ]:
        identity = create_client(role, [scope], actor=admin)[0].identity
        identity.client_scopes = frozenset({scope})
        people[role] = identity
    front.members.add(people["team_agent"])
    back.members.add(people["other_team_agent"])

    def make(subject: str, **columns: Any) -> Complaint:
        from complaints.services import submit_complaint

        made = submit_complaint(
            consumer=consumer, actor=consumer, subject=subject, description="What happened."
        )
        Complaint.objects.filter(pk=made.pk).update(**columns)
        made.refresh_from_db()
        return made

    complaints = {
        "front_queue": make("In the front queue", team=front),
        "back_queue": make("In the back queue", team=back),
        "unrouted": make("Not routed", team=None),
        "assigned_elsewhere": make(
            "Assigned across teams", team=back, assignee=people["assigned_agent"]
        ),
        "referred": make("Referred", team=back, specialist=people["referred_specialist"]),
        "other_consumers": make("Someone else's", team=front),
    }
    complaints["logged_by_client"] = log_complaint_on_behalf(
        consumer_email=consumer.email,
        actor=people["client_logging"],
        subject="Logged by the chatbot",
        description="What happened.",
    )
    Complaint.objects.filter(pk=complaints["other_consumers"].pk).update(consumer=other_consumer)
    complaints["other_consumers"].refresh_from_db()
    duplicate = make("Duplicate", team=front)
    merge_complaint(duplicate, complaints["front_queue"], actor=manager)
    complaints["merged"] = duplicate
    for made in complaints.values():
        made.refresh_from_db()
        if made.is_active:
            reply_to_complaint(made, "A public reply.", actor=manager)
        add_internal_note(
            made,
            "An internal note.",
            actor=manager,
            files=[SimpleUploadedFile("ledger.png", PNG, content_type="image/png")],
        )
    return {"people": people, "complaints": complaints}


@pytest.mark.parametrize("role", ROLES)
def test_visible_to_agrees_with_the_view_rule(cast: dict[str, Any], role: str) -> None:
    actor = cast["people"][role]
    visible = set(Complaint.objects.visible_to(actor))

    disagreements = {
        kind: (complaint in visible, rules.has_perm("complaints.view_complaint", actor, complaint))
        for kind, complaint in cast["complaints"].items()
        if (complaint in visible) != rules.has_perm("complaints.view_complaint", actor, complaint)
    }

    assert disagreements == {}


@pytest.mark.parametrize("role", ROLES)
def test_timeline_and_files_read_path_agrees_with_the_rules(
    cast: dict[str, Any], role: str
) -> None:
    actor = cast["people"][role]
    sees_internal = rules.has_perm("complaints.view_internal_notes", actor)
    for kind, complaint in cast["complaints"].items():
        may_view = rules.has_perm("complaints.view_complaint", actor, complaint)

        events = set(Event.objects.visible_to(actor).filter(complaint=complaint))
        files = set(Attachment.objects.visible_to(actor).filter(complaint=complaint))

        assert events == {
            event
            for event in complaint.events.all()
            if may_view and (sees_internal or not event.is_internal)
        }, kind
        assert files == {
            item
            for item in complaint.attachments.all()
            if may_view and (sees_internal or not item.is_internal)
        }, kind
        # Every complaint has an internal note with a file: the filter had something to do.
        assert complaint.attachments.filter(is_internal=True).exists()


@pytest.mark.parametrize("role", ["owner", "other_consumer"])
def test_consumers_never_read_an_internal_entry_or_file(cast: dict[str, Any], role: str) -> None:
    actor = cast["people"][role]

    assert not Event.objects.visible_to(actor).filter(is_internal=True).exists()
    assert not Attachment.objects.visible_to(actor).filter(is_internal=True).exists()
    assert not Complaint.objects.search("internal", actor=actor).exists()


def test_staff_search_finds_internal_notes_only_on_complaints_they_may_see(
    cast: dict[str, Any],
) -> None:
    agent = cast["people"]["team_agent"]
    found = set(Complaint.objects.visible_to(agent).search("internal", actor=agent))

    assert found == set(Complaint.objects.visible_to(agent))
    assert cast["complaints"]["back_queue"] not in found


def test_an_agents_visible_queue_has_no_duplicate_rows(
    cast: dict[str, Any], make_user: Callable[..., User]
) -> None:
    agent = cast["people"]["team_agent"]
    # In two teams that both hold the same complaint's queue: still one row per complaint.
    Team.objects.get(name="Back").members.add(agent)
    visible = list(Complaint.objects.visible_to(agent).values_list("pk", flat=True))

    assert len(visible) == len(set(visible))
