"""The demo data shows every part of the product: one tenant is seeded as `make run` seeds it."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from complaints.models import CannedResponse, Complaint, Event, ResolutionProposal
from complaints.views import PAGE_SIZE
from configuration.models import TenantSettings
from operations.management.commands.seed_demo import (
    DEMO_TENANTS,
    Command,
    last_complete_half_year,
)
from operations.services import start_tenant
from outbox.models import Message
from reports.forms import PeriodForm, ReturnPeriodForm
from reports.metrics import DASHBOARD_TABLES, Link, Period, Scope, regulatory_return
from tenancy.models import Tenant
from tests.conftest import sign_in, tenant_client

BANK = DEMO_TENANTS[0]


def seed(tenant: Tenant) -> None:
    start_tenant(tenant, BANK.starter.industry.value)
    Command().seed_tenant(BANK)


@pytest.fixture
def seeded_bank(bank: Tenant) -> Tenant:
    seed(bank)
    return bank


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 1), (date(2026, 1, 1), date(2026, 6, 30))),
        (date(2026, 7, 1), (date(2026, 1, 1), date(2026, 6, 30))),
        (date(2026, 6, 30), (date(2025, 7, 1), date(2025, 12, 31))),
    ],
)
def test_the_last_complete_half_year_is_the_returns_default(
    today: date, expected: tuple[date, date]
) -> None:
    form = ReturnPeriodForm.for_request({}, today)
    assert form.is_valid()
    assert last_complete_half_year(today) == expected


def test_every_demo_story_names_a_category_of_its_tenants_starter() -> None:
    for demo in DEMO_TENANTS:
        causes = {
            (product.name, cause) for product in demo.starter.products for cause in product.causes
        }
        for story in demo.stories:
            assert (story.product, story.cause) in causes, (demo.slug, story)


def test_the_demo_tenant_shows_every_part_of_the_product_and_seeds_once(
    seeded_bank: Tenant,
) -> None:
    """One seeding (it takes a while), every property the demo promises."""
    now = timezone.now()
    zone = ZoneInfo(seeded_bank.time_zone)
    today = now.astimezone(zone).date()
    stories = {story.subject: (story.product, story.cause) for story in BANK.stories}

    # Subjects match their categories.
    for subject, product, cause in Complaint.objects.values_list(
        "subject", "category__parent__name", "category__name"
    ):
        assert stories[subject] == (product, cause)

    # Canned responses exist, from the starter.
    assert CannedResponse.objects.count() >= 4

    # The agent's queue runs to more than one page.
    agent = User.objects.get(email="agent@bank.example")
    assert Complaint.objects.visible_to(agent).active().count() > PAGE_SIZE

    # Every dashboard figure has data in the default period.
    form = PeriodForm.for_request({}, today)
    assert form.is_valid()
    scope = Scope(Period(*form.dates(), zone), now)
    for key, figure in DASHBOARD_TABLES.items():
        rows = figure(scope).rows
        assert any(_has_figure(row) for row in rows), (key, rows)

    # The regulatory return opens on a period with data.
    return_form = ReturnPeriodForm.for_request({}, today)
    assert return_form.is_valid()
    tables = regulatory_return(Period(*return_form.dates(), zone), seeded_bank.regulatory_profile)
    for table in tables:
        assert any(_has_figure(row) for row in table.rows), (table.key, table.rows)

    # The history's e-mails were delivered as it was written, none one by one afterwards.
    assert not Message.objects.exclude(status=Message.Status.SENT).exists()
    # One event per change: no complaint has a second "received" event.
    assert not (
        Event.objects.filter(kind=Event.Kind.SUBMITTED)
        .values("complaint")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )

    # Something is at risk now, so the at-risk list shows what it is for.
    assert Complaint.objects.at_risk(now, TenantSettings.current().at_risk_margin).exists()

    # Seeding again adds nothing.
    before = (Complaint.objects.count(), Event.objects.count(), CannedResponse.objects.count())
    seed(seeded_bank)
    after = (Complaint.objects.count(), Event.objects.count(), CannedResponse.objects.count())
    assert after == before


def _has_figure(row: tuple[object, ...]) -> bool:
    """Whether a table row shows data: a complaint (a list's link) or a number above zero
    after the row's label."""
    return isinstance(row[0], Link) or any(
        isinstance(cell, int | float) and not isinstance(cell, bool) and cell > 0
        for cell in row[1:]
    )


def test_one_demo_tenant_has_managers_approve_final_responses_with_some_waiting(
    telco: Tenant,
) -> None:
    (with_approval,) = [demo for demo in DEMO_TENANTS if demo.manager_approval]
    assert with_approval.slug == "telco"
    start_tenant(telco, with_approval.starter.industry.value)
    Command().seed_tenant(with_approval)

    assert TenantSettings.current().final_response_approval
    waiting = ResolutionProposal.objects.open()
    assert waiting.count() == 2
    assert {proposal.proposed_by.email for proposal in waiting} == {"agent@telco.example"}
    manager = sign_in(tenant_client(telco), User.objects.get(email="manager@telco.example"))
    queue = manager.get("/console/?view=approval").content.decode()
    for proposal in waiting:
        assert proposal.complaint.reference in queue

    Command().seed_tenant(with_approval)  # a second run adds nothing
    assert ResolutionProposal.objects.count() == 2
