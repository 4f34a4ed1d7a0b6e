"""The gate's guarantees, each checked so that one path breaking it fails a test.

- every change is one service, one transaction, one event: ``changing()`` refuses to commit
  a change without exactly one event, and a refusal writes nothing;
- the moves are one table: no application code sets a complaint's status but ``Change.move``;
- every service that changes a complaint passes through ``changing()``.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from accounts.models import SYSTEM, User
from complaints import services
from complaints.models import Complaint, Event, RootCause, Status
from complaints.services.gate import MOVES, ComplaintError, changing

ROOT = Path(__file__).resolve().parents[2]
APPLICATION = [
    path
    for path in ROOT.glob("*/**/*.py")
    if path.parts[len(ROOT.parts)] not in {"tests", ".venv", "static", "templates"}
    and "migrations" not in path.parts
]
GATE = ROOT / "complaints" / "services" / "gate.py"


def test_a_change_without_an_event_is_refused_and_rolled_back(
    complaint: Complaint, agent: User
) -> None:
    with (
        pytest.raises(RuntimeError, match="exactly one timeline event"),
        changing(
            complaint, actor=agent, permission="complaints.view_complaint", refusal="No."
        ) as change,
    ):
        change.set(subject="Changed without a record")

    assert Complaint.objects.get(pk=complaint.pk).subject != "Changed without a record"


def test_a_second_event_in_one_change_is_refused_and_rolled_back(
    complaint: Complaint, agent: User
) -> None:
    before = complaint.events.count()
    with (
        pytest.raises(RuntimeError, match="exactly one timeline event"),
        changing(
            complaint, actor=agent, permission="complaints.view_complaint", refusal="No."
        ) as change,
    ):
        change.record(Event.Kind.NOTE, body="First", internal=True)
        change.record(Event.Kind.NOTE, body="Second", internal=True)

    assert complaint.events.count() == before


def test_a_refused_permission_writes_nothing(complaint: Complaint, other_consumer: User) -> None:
    before = complaint.events.count()
    with (
        pytest.raises(ComplaintError, match=r"^Not yours\.$"),
        changing(
            complaint,
            actor=other_consumer,
            permission="complaints.view_complaint",
            refusal="Not yours.",
        ) as change,
    ):
        change.record(Event.Kind.NOTE, body="Should not be written", internal=True)

    assert complaint.events.count() == before


def test_a_change_names_its_actor(complaint: Complaint) -> None:
    with (
        pytest.raises(TypeError, match="names its actor"),
        changing(complaint, actor=None, permission="complaints.view_complaint"),  # type: ignore[arg-type]
    ):
        pass


def test_the_system_actor_may_only_make_its_own_moves(complaint: Complaint) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.RESOLVED)
    complaint.refresh_from_db()

    with (
        pytest.raises(ComplaintError, match="You may not move"),
        changing(complaint, actor=SYSTEM, permission=None) as change,
    ):
        change.move("close")  # a handler's move, not the system's
    with changing(complaint, actor=SYSTEM, permission=None) as change:
        change.move("auto_close")
        change.record(Event.Kind.STATUS_CHANGED, body="Closed automatically.")

    assert Complaint.objects.get(pk=complaint.pk).status == Status.CLOSED


def test_the_system_actor_is_refused_what_people_do(complaint: Complaint) -> None:
    cause = RootCause.objects.create(name="Process not followed")
    with pytest.raises(ComplaintError, match=r"^You may not resolve this complaint\.$"):
        services.resolve_complaint(
            complaint, outcome="upheld", summary="Refunded.", root_cause=cause, actor=SYSTEM
        )


def test_every_status_in_the_table_is_a_status() -> None:
    for move in MOVES.values():
        assert move.target in Status.values
        assert set(move.sources) <= set(Status.values)


# Writes of a ``status`` that belongs to another model: a tenant's, an outbox message's, a
# webhook delivery's.
OTHER_STATUSES = ("tenant", "Tenant", "message", "Message", "WebhookDelivery")
WRITES = {"update", "create", "set", "bulk_create", "update_or_create", "get_or_create"}


def _status_writes(path: Path) -> list[str]:
    """Places in ``path`` that write a complaint's status other than through the gate."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        # something.status = …
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and not ast.unparse(target.value).startswith(OTHER_STATUSES)
                ):
                    found.append(where)
        # ….update(status=…), ….create(status=…), change.set(status=…)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and any(keyword.arg == "status" for keyword in node.keywords)
            and not ast.unparse(node.func.value).startswith(OTHER_STATUSES)
        ):
            found.append(where)
    return found


def test_no_code_but_the_gate_sets_a_complaints_status() -> None:
    writes = [place for path in APPLICATION if path != GATE for place in _status_writes(path)]

    assert writes == []


def test_the_status_check_finds_a_write_outside_the_gate() -> None:
    stray = ROOT / "complaints" / "_stray_for_test.py"
    stray.write_text(
        "def close(complaint):\n"
        "    complaint.status = 'closed'\n"
        "    Complaint.objects.filter(pk=1).update(status='closed')\n"
    )
    try:
        assert _status_writes(stray) == [
            "complaints/_stray_for_test.py:2",
            "complaints/_stray_for_test.py:3",
        ]
    finally:
        stray.unlink()


# The gate, and the gates built on it for one kind of change.
GATES = ("changing(", "writing_to_consumer(")


def _calls_changing(function: object) -> bool:
    """Whether ``function`` enters a gate, itself or through a private helper of its module."""
    source = inspect.getsource(function)  # type: ignore[arg-type]
    if any(gate in source for gate in GATES):
        return True
    module = inspect.getmodule(function)
    helpers = {getattr(module, name, None) for name in re.findall(r"\b(_\w+)\(", source)}
    return any(_calls_changing(helper) for helper in helpers if inspect.isfunction(helper))


@pytest.mark.parametrize(
    "name",
    [
        "accept_resolution",
        "add_internal_note",
        "approve_resolution",
        "assign_complaint",
        "change_category",
        "change_priority",
        "change_status",
        "escalate_complaint",
        "hand_back",
        "merge_complaint",
        "move_to_team",
        "rate_complaint",
        "refer_to_specialist",
        "reject_resolution",
        "reply_to_complaint",
        "resolve_complaint",
        "return_resolution",
        "send_adr_letter",
        "send_holding_response",
        "submit_complaint",
        "auto_close_resolved",
    ],
)
def test_every_complaint_service_passes_through_the_gate(name: str) -> None:
    assert _calls_changing(getattr(services, name))
