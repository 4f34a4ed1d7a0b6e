"""The regulatory return: FCA buckets in business days, the generic return, presets, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.test import Client

from accounts.models import Role
from complaints.models import Category, Complaint, Outcome, Status
from complaints.services import submit_complaint
from deadlines.models import Clock, Deadline
from deadlines.regulation import regulator_for
from reports import metrics
from tenancy.models import Tenant
from tests.conftest import create_user
from tests.reports.conftest import LONDON, london, update

FIRST_HALF_2026 = "/dashboard/return/?period=first_half&year=2026"


def _tables(client: Client, path: str) -> dict[str, list[tuple[object, ...]]]:
    response = client.get(path)
    assert response.status_code == 200
    return {table.key: [tuple(row) for row in table.rows] for table in response.context["tables"]}


def test_fca_return_buckets_closures_by_business_days_and_weeks(
    manager_client: Client, received_at: Callable[..., Complaint], category: Category
) -> None:
    resolved = {"status": Status.RESOLVED}
    # Received on Friday 1 May 2026; Monday 4 May is a bank holiday in England, so the 3rd
    # business day after receipt is Thursday 7 May and its close of business 17:00.
    friday = london(2026, 5, 1, 10)
    on_time = received_at(
        friday,
        **resolved,
        category=category,
        resolved_at=london(2026, 5, 7, 16, 59),
        outcome=Outcome.UPHELD,
        redress_amount=Decimal("100.00"),
        redress_currency="GBP",
    )
    received_at(
        friday,
        **resolved,
        category=category,
        resolved_at=london(2026, 5, 7, 17, 1),
        outcome=Outcome.NOT_UPHELD,
        redress_amount=Decimal("5"),
        redress_currency="EUR",
    )
    # The 8 weeks from 1 March end with 26 April.
    received_at(
        london(2026, 3, 1),
        **resolved,
        resolved_at=london(2026, 4, 27, 9),
        outcome=Outcome.PARTLY_UPHELD,
        redress_amount=Decimal("20.50"),
        redress_currency="GBP",
    )
    received_at(
        london(2025, 10, 1), **resolved, resolved_at=london(2026, 2, 1), outcome=Outcome.NOT_UPHELD
    )
    received_at(london(2026, 6, 1), status=Status.OPEN)
    received_at(
        london(2026, 6, 20), **resolved, resolved_at=london(2026, 7, 2), outcome=Outcome.UPHELD
    )

    tables = _tables(manager_client, FIRST_HALF_2026)

    assert tables["received"] == [
        ("Current account", "Fees and charges", 2),
        ("Uncategorised", "", 3),
        ("Total", "", 5),
    ]
    assert tables["closed"] == [
        ("Current account", 1, 1, 0, 2, 2, 1, 50.0),
        ("Uncategorised", 0, 0, 2, 2, 2, 1, 50.0),
        ("Total", 1, 1, 2, 4, 4, 2, 50.0),
    ]
    assert tables["redress"] == [("EUR", 1, Decimal("5.00")), ("GBP", 2, Decimal("120.50"))]
    assert tables["summary"] == [
        ("Complaints received", 5),
        ("Closed within 3 business days", 1),
        ("Closed after 3 business days, within 8 weeks", 1),
        ("Closed after 8 weeks", 2),
        ("Complaints closed", 4),
        ("Upheld share (%)", 50.0),
        ("Still open at the end of the period", 2),
    ]
    assert on_time.reference not in str(tables)  # figures only, no complaint details


def test_fca_return_csv_has_the_table_and_the_period_in_its_name(
    manager_client: Client, received_at: Callable[..., Complaint]
) -> None:
    received_at(london(2026, 2, 2), status=Status.RESOLVED, resolved_at=london(2026, 2, 3))

    response = manager_client.get(FIRST_HALF_2026.replace("/return/", "/return/closed.csv"))

    assert response["Content-Disposition"] == (
        'attachment; filename="return-closed_2026-01-01_2026-06-30.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Product", "Within 3 business days"]
    assert rows[1] == ["Uncategorised", "1", "0", "0", "1", "0", "0", ""]


def test_return_presets_cover_half_years_and_custom_dates_are_checked(
    manager_client: Client,
) -> None:
    second = manager_client.get("/dashboard/return/?period=second_half&year=2025")
    assert (second.context["period"].first, second.context["period"].last) == (
        date(2025, 7, 1),
        date(2025, 12, 31),
    )
    missing = manager_client.get("/dashboard/return/?period=custom&date_from=2026-01-01")
    assert "Enter a date for a custom period." in missing.content.decode()
    assert missing.context["tables"] == []
    too_long = manager_client.get(
        "/dashboard/return/?period=custom&date_from=2020-01-01&date_to=2026-01-01"
    )
    assert "Choose a period of at most two years." in too_long.content.decode()
    assert manager_client.get("/dashboard/return/?period=first_half").context["tables"] == []


def test_the_default_return_is_the_last_complete_half_year(manager_client: Client) -> None:
    period = manager_client.get("/dashboard/return/").context["period"]
    assert (period.first.month, period.first.day) in ((1, 1), (7, 1))
    assert (period.last - period.first).days in (180, 181, 183)


def test_generic_return_counts_closures_with_the_profiles_main_deadline_met(
    telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(telco)
    caller = create_user(Role.CONSUMER, "caller@example.com")

    def complaint(received: object, **fields: object) -> Complaint:
        made = submit_complaint(
            consumer=caller,
            subject="No signal",
            description="None.",
            received_at=received,
            actor=caller,
        )
        return update(made, **fields)

    in_time = complaint(
        london(2026, 3, 2),
        status=Status.CLOSED,
        resolved_at=london(2026, 3, 10),
        outcome=Outcome.UPHELD,
    )
    Deadline.objects.filter(complaint=in_time, clock=Clock.ADR_LETTER).update(
        met_at=london(2026, 3, 10)
    )
    complaint(
        london(2026, 3, 2),
        status=Status.RESOLVED,
        resolved_at=london(2026, 6, 1),
        outcome=Outcome.NOT_UPHELD,
    )
    complaint(london(2026, 6, 29), status=Status.OPEN)
    # Withdrawn in week 2: its 8-week clock stopped before falling due, so it is not missed.
    withdrawn = complaint(
        london(2026, 4, 1), status=Status.WITHDRAWN, closed_at=london(2026, 4, 14)
    )
    Deadline.objects.filter(complaint=withdrawn, clock=Clock.ADR_LETTER).update(
        stopped_at=london(2026, 4, 14), stopped_reason="the consumer withdrew the complaint"
    )

    summary, redress = metrics.generic_return(
        metrics.Period(date(2026, 1, 1), date(2026, 6, 30), LONDON),
        regulator_for(telco.regulatory_profile),
    )

    assert summary.rows == [
        ("Complaints received", 4),
        ("Complaints closed", 3),
        ("Closed with the ADR letter deadline met", 1),
        ("Closed without the ADR letter deadline met", 1),
        ("Closed before the ADR letter deadline applied (withdrawn, merged)", 1),
        ("Upheld share (%)", 50.0),
        ("Still open at the end of the period", 1),
    ]
    assert redress.rows == []


def test_redress_is_shown_in_the_currency_and_kept_a_plain_number_in_the_csv(
    manager_client: Client, received_at: Callable[..., Complaint]
) -> None:
    received_at(
        london(2026, 3, 2, 10),
        status=Status.RESOLVED,
        resolved_at=london(2026, 3, 9, 9),
        outcome=Outcome.UPHELD,
        redress_amount=Decimal("1234.50"),
        redress_currency="GBP",
    )

    page = manager_client.get(FIRST_HALF_2026).content.decode()
    download = manager_client.get(FIRST_HALF_2026.replace("/return/", "/return/redress.csv"))
    rows = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode("utf-8-sig"))))

    assert '<td data-label="Total">£1,234.50</td>' in page
    assert ["GBP", "1", "1234.50"] in rows
