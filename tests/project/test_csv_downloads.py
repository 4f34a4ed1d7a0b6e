"""Every CSV download: the byte-order mark Excel needs, accents intact, formulas made text."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from audit.models import AuditEvent
from audit.services import record_event
from complaints.models import Category, Complaint
from complaints.spreadsheets import BYTE_ORDER_MARK, csv_lines, spreadsheet_safe

FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
ACCENTED = "Café Zoë Ångström"
NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)


def read_csv(response: Any) -> list[list[str]]:
    """The rows of a CSV download, after checking it starts with the UTF-8 byte-order mark."""
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    raw = b"".join(response.streaming_content)
    assert raw.startswith(BYTE_ORDER_MARK.encode("utf-8"))
    assert raw[3:].decode("utf-8")[:1] != BYTE_ORDER_MARK  # one mark, not two
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_each_formula_prefix_is_written_as_text(prefix: str) -> None:
    assert spreadsheet_safe(f"{prefix}SUM(A1)") == f"'{prefix}SUM(A1)"


@pytest.mark.parametrize("value", ["SUM(A1)", "a=b", "", None, 12, "Café"])
def test_other_cells_are_written_as_they_are(value: object) -> None:
    assert spreadsheet_safe(value) == ("" if value is None else str(value))


def test_csv_lines_start_with_one_byte_order_mark_and_keep_accents() -> None:
    lines = list(csv_lines(["Name"], [[ACCENTED], ["=1+1"]]))

    assert lines[0] == "\ufeffName\r\n".encode()
    assert lines[1].decode("utf-8") == f"{ACCENTED}\r\n"
    assert lines[2] == b"'=1+1\r\n"


# --- each endpoint ---------------------------------------------------------------------------


@pytest.fixture
def dashboard_breached(make_complaint: Callable[..., Complaint]) -> Callable[..., Any]:
    """The dashboard's breached list, with a complaint whose subject is ``text``."""

    def download(client: Client, text: str) -> tuple[list[list[str]], list[str]]:
        made = make_complaint()
        # Written directly: the subject is stored as typed, leading tab and all.
        Complaint.objects.filter(pk=made.pk).update(
            subject=text, next_due_at=NOW - timedelta(hours=1)
        )
        rows = read_csv(client.get("/dashboard/export/breached.csv"))
        return rows, next(row for row in rows if row[0] == made.reference)

    return download


@pytest.fixture
def return_received(make_complaint: Callable[..., Complaint]) -> Callable[..., Any]:
    """The regulatory return's complaints received, with a product named ``text``."""

    def download(client: Client, text: str) -> tuple[list[list[str]], list[str]]:
        product = Category.objects.create(name=text)
        cause = Category.objects.create(name="Fees", parent=product)
        make_complaint(category=cause, received_at=NOW - timedelta(days=10))
        rows = read_csv(client.get("/dashboard/return/received.csv?period=first_half&year=2026"))
        return rows, next(row for row in rows if row[1] == "Fees")

    return download


@pytest.fixture
def audit_log(bank: object) -> Callable[..., Any]:
    """The audit log export, with an event whose target is ``text``."""

    def download(client: Client, text: str) -> tuple[list[list[str]], list[str]]:
        record_event(AuditEvent.Action.CATEGORY_SAVED, actor_email="a@example.com", target=text)
        rows = read_csv(client.get("/settings/audit/export.csv"))
        return rows, next(row for row in rows if row[2] == "a@example.com")

    return download


# (fixture, signed-in client, column that shows the text)
ENDPOINTS = [
    ("dashboard_breached", "manager_client", 1),
    ("return_received", "manager_client", 0),
    ("audit_log", "admin_client", 4),
]


@pytest.mark.parametrize(("endpoint", "client_name", "column"), ENDPOINTS)
@time_machine.travel(NOW, tick=False)
def test_every_csv_download_has_the_byte_order_mark_and_round_trips_accents(
    request: pytest.FixtureRequest, endpoint: str, client_name: str, column: int
) -> None:
    client = request.getfixturevalue(client_name)

    rows, row = request.getfixturevalue(endpoint)(client, ACCENTED)

    assert rows[0][0][:1] != BYTE_ORDER_MARK and rows[0][0].isprintable()
    assert row[column] == ACCENTED


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
@pytest.mark.parametrize(("endpoint", "client_name", "column"), ENDPOINTS)
@time_machine.travel(NOW, tick=False)
def test_every_csv_download_writes_formula_cells_as_text(
    request: pytest.FixtureRequest, endpoint: str, client_name: str, column: int, prefix: str
) -> None:
    client = request.getfixturevalue(client_name)
    text = f'{prefix}HYPERLINK("http://evil.example","{ACCENTED}")'

    _, row = request.getfixturevalue(endpoint)(client, text)

    assert row[column] == "'" + text
