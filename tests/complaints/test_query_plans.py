"""The plans of the queue's page queries: a deep cursor seeks the index, it does not filter.

The tables here are tiny, so sequential scans are switched off for the transaction: the
question is whether the keyset condition *can* be an index condition, which PostgreSQL
decides from the shape of the SQL, not from the size of the table.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Invitation, User
from complaints.models import SEARCH_CONFIG, Complaint, Team
from complaints.pagination import keyset_page


def explain_page_after_cursor(queryset: Any, field: str, *, descending: bool) -> list[str]:
    """The plan of the query that reads the page after the first row's cursor."""
    first = keyset_page(queryset, field=field, after=None, size=1, descending=descending)
    assert first.next_cursor is not None
    with CaptureQueriesContext(connection) as captured:
        keyset_page(queryset, field=field, after=first.next_cursor, size=1, descending=descending)
    page_query = captured.captured_queries[0]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {page_query}")
        return [line for (line,) in cursor.fetchall()]


def keyset_condition(plan: list[str], field: str) -> tuple[list[str], list[str]]:
    """The plan's index conditions and filters that mention ``field``."""
    index_conds = [line for line in plan if "Index Cond" in line and field in line]
    filters = [line for line in plan if "Filter" in line and field in line]
    return index_conds, filters


@pytest.fixture
def queue(make_complaint: Callable[..., Complaint], front_line: Team) -> list[Complaint]:
    made = [make_complaint() for _ in range(3)]
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(team=front_line)
    return made


@pytest.mark.parametrize(
    ("field", "descending"),
    [("received_at", False), ("received_at", True), ("next_due_at", False)],
)
@pytest.mark.parametrize("role", ["manager", "agent"])
def test_deep_cursor_in_the_active_queue_is_an_index_condition(
    request: pytest.FixtureRequest,
    queue: list[Complaint],
    field: str,
    descending: bool,
    role: str,
) -> None:
    user: User = request.getfixturevalue(role)
    queryset = Complaint.objects.visible_to(user).active().for_list()
    plan = explain_page_after_cursor(queryset, field, descending=descending)
    index_conds, filters = keyset_condition(plan, field)
    operator = "<" if descending else ">"
    assert any(f"ROW({field}, id) {operator}" in line for line in index_conds), plan
    assert not filters, plan


def test_deep_cursor_over_every_status_is_an_index_condition(
    queue: list[Complaint], manager: User
) -> None:
    queryset = Complaint.objects.visible_to(manager).for_list()
    plan = explain_page_after_cursor(queryset, "received_at", descending=True)
    index_conds, filters = keyset_condition(plan, "received_at")
    assert any("ROW(received_at, id) <" in line for line in index_conds), plan
    assert not filters, plan


def test_deep_cursor_in_the_consumers_own_list_is_an_index_condition(
    queue: list[Complaint], consumer: User
) -> None:
    queryset = Complaint.objects.filter(consumer=consumer).for_list()
    plan = explain_page_after_cursor(queryset, "received_at", descending=True)
    index_conds, filters = keyset_condition(plan, "received_at")
    assert any("ROW(received_at, id) <" in line for line in index_conds), plan
    assert not filters, plan


@pytest.mark.parametrize(
    ("client_name", "url"),
    [
        ("manager_client", "/console/"),
        ("agent_client", "/console/?q=payment"),
        ("agent_client", "/console/?q=payment&sort=received"),
    ],
)
def test_list_rows_select_only_the_columns_they_show(
    request: pytest.FixtureRequest, queue: list[Complaint], client_name: str, url: str
) -> None:
    client = request.getfixturevalue(client_name)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    statements = [q["sql"] for q in captured if "complaints_complaint" in q["sql"]]
    # Every statement's own columns: a ranked search reads the vectors of its candidates in
    # a derived table to rank them (returning their ids), but never returns them.
    selected = [sql.split(" FROM ", 1)[0] for sql in statements]
    shown = [columns for columns in selected if '"complaints_complaint"."subject"' in columns]
    assert len(shown) == 1
    assert len(statements) == (2 if "sort" not in url and "q=" in url else 1)
    for columns in selected:
        for column in ("search_vector", "internal_search_vector", "description", "password"):
            assert f'."{column}"' not in columns and f" {column}" not in columns


@pytest.mark.parametrize("typed", ["payment", "card paym", "paym", "standi", "card chargin"])
def test_search_in_the_active_queue_reads_the_partial_text_index(
    queue: list[Complaint], agent: User, consumer: User, front_line: Team, typed: str
) -> None:
    # Enough other active complaints for the words to be selective, as in a real queue.
    Complaint.objects.bulk_create(
        Complaint(
            reference=f"P-{number:06d}",
            consumer=consumer,
            team=front_line,
            subject="Branch closed early",
            description="The doors were locked.",
        )
        for number in range(2000)
    )
    Complaint.objects.filter(reference__startswith="P-").update(
        search_vector=SearchVector("subject", "description", config=SEARCH_CONFIG)
    )
    # The queue's complaints hold every word typed, so the ranked search below finds them.
    shown = Complaint.objects.filter(pk__in=[complaint.pk for complaint in queue])
    shown.update(description="The standing order kept charging my card.")
    shown.refresh_search()
    with connection.cursor() as cursor:
        # Steady state, as autovacuum keeps it: the text indexes' pending lists merged (the
        # suite's rolled-back inserts leave them long) and statistics fresh.
        for index in ("complaint_active_search_idx", "complaint_active_internal_idx"):
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE complaints_complaint")
    # The matching condition on its own: which index finds the matches.
    queryset = Complaint.objects.visible_to(agent).active().search(typed, actor=agent).order_by()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Bitmap Index Scan on complaint_active_search_idx" in plan, plan
    assert "Bitmap Index Scan on complaint_active_internal_idx" in plan, plan

    # Ranked as the queue ranks it: the ranking statement finds its candidates through the
    # same indexes, and the page's rows are read by their primary key.
    ranked = queryset.best_matches(typed, actor=agent, now=timezone.now())
    with CaptureQueriesContext(connection) as captured:
        assert ranked[0:26]
    ranking, rows = [query["sql"] for query in captured.captured_queries]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {ranking}")
        ranking_plan = "\n".join(line for (line,) in cursor.fetchall())
        cursor.execute(f"EXPLAIN {rows}")
        rows_plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "Bitmap Index Scan on complaint_active_search_idx" in ranking_plan, ranking_plan
    assert "complaints_complaint_pkey" in rows_plan, rows_plan
    assert "complaint_active_search_idx" not in rows_plan, rows_plan


@pytest.mark.parametrize("role", [None, "consumer"])
def test_a_consumer_named_by_e_mail_is_found_through_an_index(
    consumer: User, role: str | None
) -> None:
    people = User.objects.filter(email__iexact=consumer.email.upper())
    if role:
        people = people.filter(role=role)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = people.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(line for (line,) in cursor.fetchall())
    assert "user_email_upper_idx" in plan, plan
    assert list(people) == [consumer]


def _plan(queryset: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(line for (line,) in cursor.fetchall())


def test_proven_addresses_and_pending_invitations_are_found_by_e_mail_through_an_index(
    consumer: User,
) -> None:
    addresses = EmailAddress.objects.filter(email__iexact=consumer.email.upper(), verified=True)
    invitations = Invitation.objects.pending().filter(email__iexact=consumer.email.upper())

    assert "emailaddress_email_upper_idx" in _plan(addresses)
    assert "invitation_email_upper_idx" in _plan(invitations)


@pytest.mark.parametrize(
    ("field", "descending"),
    [
        ("priority_rank", True),
        ("priority_rank", False),
        ("reference", False),
        ("reference", True),
        ("assignee_id", False),
        ("assignee_id", True),
    ],
)
@pytest.mark.parametrize("role", ["manager", "agent"])
def test_deep_cursor_in_each_column_order_is_an_index_condition(
    request: pytest.FixtureRequest,
    queue: list[Complaint],
    manager: User,
    field: str,
    descending: bool,
    role: str,
) -> None:
    # Assigned and of different priorities, so the first page's cursor has a value to seek.
    for complaint, priority in zip(queue, ["low", "urgent", "high"], strict=True):
        Complaint.objects.filter(pk=complaint.pk).update(priority=priority, assignee=manager)
    user: User = request.getfixturevalue(role)
    queryset = Complaint.objects.visible_to(user).active().for_list()
    plan = explain_page_after_cursor(queryset, field, descending=descending)
    operator = "<" if descending else ">"
    # A text column is compared as text: ``ROW((reference)::text, id) > ROW(…)``.
    seek = re.compile(rf"ROW\(\(?{field}\)?(::text)?, id\) {re.escape(operator)} ROW\(")
    index_conds = [line for line in plan if "Index Cond" in line]
    assert any(seek.search(line) for line in index_conds), plan
    assert not [line for line in plan if "Filter" in line and "ROW(" in line], plan


@pytest.mark.parametrize("typed", ["83", "2026-83", "C-2026-000083"])
@pytest.mark.parametrize("active", [True, False])
def test_a_reference_or_bare_number_search_is_an_index_lookup(
    queue: list[Complaint], manager: User, typed: str, active: bool
) -> None:
    queryset = Complaint.objects.visible_to(manager)
    if active:
        queryset = queryset.active()
    plan = _plan(queryset.search(typed, actor=manager))
    index = "complaint_reference_number_idx" if typed == "83" else "reference"
    assert "Seq Scan" not in plan, plan
    assert index in plan, plan
