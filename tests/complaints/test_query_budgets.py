"""Exact query budgets of the main services, as the pages have them.

A change that adds a query to a service (an N+1 over deadlines, a second read of the
settings, a lookup the gate already made) changes a number here on purpose or fails. A change
that moves the report counts (``reports.rollups``: receipt, closing, team, assignee, outcome)
writes them in one more statement; a letter's e-mail is one INSERT.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from accounts.models import User
from complaints.models import Complaint, Outcome, Priority, RootCause, Status
from complaints.services import (
    accept_resolution,
    add_internal_note,
    assign_complaint,
    change_priority,
    change_status,
    log_complaint_on_behalf,
    reply_to_complaint,
    resolve_complaint,
    submit_complaint,
)
from configuration.cache import forget_pending_changes


def resolved(complaint: Complaint, manager: User, root_cause: RootCause) -> Complaint:
    resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="We refunded the second payment.",
        root_cause=root_cause,
        redress_amount=Decimal("84.20"),
        actor=manager,
    )
    return complaint


BUDGETS: dict[str, int] = {
    "submit": 8,
    "log_on_behalf": 10,
    # The first staff reply also counts its response time in the report rollups.
    "reply_by_staff": 16,
    "reply_by_consumer": 7,
    "note": 7,
    "claim": 7,
    "priority": 8,
    "status": 8,
    "resolve": 15,
    "accept": 7,
}


def test_submitting_a_complaint(
    django_assert_num_queries: Callable[..., Any], consumer: User, front_line: Any
) -> None:
    forget_pending_changes()  # the fixtures' rows stand committed, as another request's would
    submit_complaint(consumer=consumer, actor=consumer, subject="Warm-up", description="x")
    with django_assert_num_queries(BUDGETS["submit"]):
        submit_complaint(
            consumer=consumer,
            actor=consumer,
            subject="Card payment taken twice",
            description="The payment left my account twice.",
        )


def test_logging_a_complaint_on_a_consumers_behalf(
    django_assert_num_queries: Callable[..., Any], consumer: User, manager: User, front_line: Any
) -> None:
    forget_pending_changes()  # the fixtures' rows stand committed, as another request's would
    details = {"consumer_email": consumer.email, "actor": manager, "description": "By phone."}
    log_complaint_on_behalf(subject="Warm-up", **details)
    with django_assert_num_queries(BUDGETS["log_on_behalf"]):
        log_complaint_on_behalf(subject="Card payment taken twice", **details)


def test_replying_as_staff(
    django_assert_num_queries: Callable[..., Any], complaint: Complaint, agent: User
) -> None:
    with django_assert_num_queries(BUDGETS["reply_by_staff"]):
        reply_to_complaint(complaint, "We are looking into it.", actor=agent)


def test_replying_as_the_consumer(
    django_assert_num_queries: Callable[..., Any], complaint: Complaint, consumer: User
) -> None:
    with django_assert_num_queries(BUDGETS["reply_by_consumer"]):
        reply_to_complaint(complaint, "Any news?", actor=consumer)


def test_adding_a_note(
    django_assert_num_queries: Callable[..., Any], complaint: Complaint, agent: User
) -> None:
    with django_assert_num_queries(BUDGETS["note"]):
        add_internal_note(complaint, "Checked the ledger.", actor=agent)


def test_claiming(
    django_assert_num_queries: Callable[..., Any], complaint: Complaint, agent: User
) -> None:
    with django_assert_num_queries(BUDGETS["claim"]):
        assign_complaint(complaint, agent, actor=agent)


def test_changing_priority(
    django_assert_num_queries: Callable[..., Any], complaint: Complaint, agent: User
) -> None:
    with django_assert_num_queries(BUDGETS["priority"]):
        change_priority(complaint, Priority.HIGH, actor=agent)


def test_changing_status(
    django_assert_num_queries: Callable[..., Any], complaint: Complaint, agent: User
) -> None:
    with django_assert_num_queries(BUDGETS["status"]):
        change_status(complaint, Status.AWAITING_CONSUMER, actor=agent)


def test_resolving(
    django_assert_num_queries: Callable[..., Any],
    complaint: Complaint,
    manager: User,
    root_cause: RootCause,
) -> None:
    with django_assert_num_queries(BUDGETS["resolve"]):
        resolved(complaint, manager, root_cause)


def test_accepting(
    django_assert_num_queries: Callable[..., Any],
    complaint: Complaint,
    manager: User,
    consumer: User,
    root_cause: RootCause,
) -> None:
    resolved(complaint, manager, root_cause)
    with django_assert_num_queries(BUDGETS["accept"]):
        accept_resolution(complaint, actor=consumer)
