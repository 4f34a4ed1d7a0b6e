"""Keeping each complaint's deadlines: computing, recomputing, next_due_at, the SLA pause."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from complaints.models import Category, Complaint, Priority, RootCause, Status
from complaints.services import (
    ComplaintError,
    change_category,
    change_priority,
    change_status,
    mark_met,
    merge_complaint,
    pause_sla,
    refresh_deadlines,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    resume_sla,
    send_holding_response,
    send_in_progress_response,
    update_next_due,
)
from configuration.models import TenantSettings
from deadlines.models import Clock, Closure, Deadline, SlaPolicy
from tenancy import current
from tenancy.models import Tenant
from tests.complaints.conftest import put_in_status
from tests.deadlines.conftest import (
    LONDON,
    NEW_YORK,
    FrozenTime,
    deadlines_of,
    due_dates_of,
    end_of_day,
    london,
    new_york,
    stored,
    utc,
)

ACK = Clock.ACKNOWLEDGEMENT
SUMMARY = Clock.SUMMARY_RESOLUTION
FINAL = Clock.FINAL_RESPONSE
INITIAL = Clock.INITIAL_RESPONSE
FIRST = Clock.FIRST_RESPONSE
RESOLUTION = Clock.RESOLUTION

pytestmark = pytest.mark.usefixtures("england")

MakeComplaint = Callable[..., Complaint]


def change_tenant(tenant: Tenant, **fields: str) -> None:
    """Change the tenant the connection works in (rolled back with the test)."""
    assert current.tenant() is tenant, "the connection must hold this very tenant object"
    for name, value in fields.items():
        setattr(tenant, name, value)
    tenant.save(update_fields=list(fields))


@pytest.fixture
def sla_normal(bank: Tenant) -> SlaPolicy:
    return SlaPolicy.objects.create(
        priority=Priority.NORMAL, first_response_hours=4, resolution_hours=40
    )


@pytest.fixture
def payment_category(bank: Tenant) -> Category:
    product = Category.objects.create(name="Payments")
    return Category.objects.create(name="Card payment", parent=product, payment_services=True)


# --- creating the clocks --------------------------------------------------------------------


def test_submission_starts_one_deadline_per_fca_clock(make_complaint: MakeComplaint) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    rows = deadlines_of(complaint)

    assert {clock: (row.due_at, row.regulatory, row.enforced) for clock, row in rows.items()} == {
        ACK: (london(2026, 4, 7, 17), True, True),
        SUMMARY: (london(2026, 4, 9, 17), True, False),
        FINAL: (end_of_day(LONDON, 2026, 5, 28), True, True),
    }
    # The acknowledgement goes out with the submission, so its clock is met at once.
    assert rows[ACK].met_at is not None
    assert rows[ACK].met_at == stored(complaint).acknowledged_at
    assert rows[SUMMARY].met_at is None
    assert rows[FINAL].met_at is None


def test_refreshing_unchanged_inputs_changes_no_deadline(make_complaint: MakeComplaint) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    before = {
        row.pk: (row.clock, row.due_at, row.met_at) for row in deadlines_of(complaint).values()
    }

    refresh_deadlines(stored(complaint))

    after = {
        row.pk: (row.clock, row.due_at, row.met_at) for row in deadlines_of(complaint).values()
    }
    assert after == before


def test_sla_policy_of_the_priority_adds_first_response_and_resolution_clocks(
    make_complaint: MakeComplaint, sla_normal: SlaPolicy
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 10))

    rows = deadlines_of(complaint)

    assert set(rows) == {ACK, SUMMARY, FINAL, FIRST, RESOLUTION}
    # 4 business hours from Monday 10:00; 40 hours: 7 on Monday, 32 to Friday, 1 on Monday.
    assert (rows[FIRST].due_at, rows[FIRST].regulatory) == (london(2026, 11, 16, 14), False)
    assert (rows[RESOLUTION].due_at, rows[RESOLUTION].regulatory) == (
        london(2026, 11, 23, 10),
        False,
    )
    assert rows[FIRST].enforced and rows[RESOLUTION].enforced
    assert stored(complaint).next_due_at == london(2026, 11, 16, 14)


def test_priority_without_a_policy_has_no_sla_clocks_until_moved_to_one_that_has(
    make_complaint: MakeComplaint, staff: User
) -> None:
    SlaPolicy.objects.create(priority=Priority.HIGH, first_response_hours=2, resolution_hours=8)
    complaint = make_complaint(received_at=london(2026, 11, 16, 10))
    assert set(deadlines_of(complaint)) == {ACK, SUMMARY, FINAL}

    change_priority(complaint, Priority.HIGH, actor=staff)

    dues = due_dates_of(complaint)
    assert dues[FIRST] == london(2026, 11, 16, 12)
    assert dues[RESOLUTION] == london(2026, 11, 17, 10)
    assert stored(complaint).next_due_at == london(2026, 11, 16, 12)


# --- recomputing ----------------------------------------------------------------------------


def test_payment_services_category_moves_the_final_response_to_15_business_days(
    make_complaint: MakeComplaint, category: Category, payment_category: Category, staff: User
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10), category=category)
    assert due_dates_of(complaint)[FINAL] == end_of_day(LONDON, 2026, 5, 28)

    change_category(complaint, payment_category, actor=staff)

    dues = due_dates_of(complaint)
    assert dues[FINAL] == end_of_day(LONDON, 2026, 4, 27)
    assert dues[SUMMARY] == london(2026, 4, 9, 17)
    assert stored(complaint).next_due_at == end_of_day(LONDON, 2026, 4, 27)


def test_holding_reply_within_15_business_days_extends_the_final_response_to_35(
    make_complaint: MakeComplaint, payment_category: Category, staff: User, frozen: FrozenTime
) -> None:
    frozen.now = london(2026, 4, 2, 10)
    complaint = make_complaint(received_at=london(2026, 4, 2, 10), category=payment_category)
    assert due_dates_of(complaint)[FINAL] == end_of_day(LONDON, 2026, 4, 27)

    # 22:00 on the 15th business day: the clock ends at the END of that day (DISP 1.6.2AR).
    frozen.advance_to(london(2026, 4, 27, 22))
    send_holding_response(
        complaint, "we are waiting for the card scheme's report", date(2026, 5, 27), actor=staff
    )

    # 35 business days: Easter, 4 May and 25 May do not count.
    final = deadlines_of(complaint)[FINAL]
    assert final.due_at == end_of_day(LONDON, 2026, 5, 27)
    assert final.met_at is None


def test_late_holding_reply_gives_no_extension_and_keeps_the_breach(
    make_complaint: MakeComplaint, payment_category: Category, staff: User, frozen: FrozenTime
) -> None:
    frozen.now = london(2026, 4, 2, 10)
    complaint = make_complaint(received_at=london(2026, 4, 2, 10), category=payment_category)
    breached_at = london(2026, 4, 28, 0, 5)
    Deadline.objects.filter(complaint=complaint, clock=FINAL).update(breached_at=breached_at)

    frozen.advance_to(london(2026, 4, 28, 9))
    send_holding_response(
        complaint, "we are waiting for the card scheme's report", date(2026, 5, 20), actor=staff
    )

    final = deadlines_of(complaint)[FINAL]
    assert final.due_at == end_of_day(LONDON, 2026, 4, 27)
    assert final.breached_at == breached_at
    assert final.met_at is None


def test_a_holding_reply_may_not_promise_a_date_after_35_business_days(
    make_complaint: MakeComplaint, payment_category: Category, staff: User, frozen: FrozenTime
) -> None:
    frozen.now = london(2026, 4, 2, 10)
    complaint = make_complaint(received_at=london(2026, 4, 2, 10), category=payment_category)
    frozen.advance_to(london(2026, 4, 20, 10))

    with pytest.raises(ComplaintError, match=r"28 May 2026.*27 May 2026"):
        send_holding_response(complaint, "we wait for records", date(2026, 5, 28), actor=staff)

    assert stored(complaint).holding_response_sent_at is None


def test_an_fca_holding_response_within_8_weeks_meets_the_8_week_duty(
    make_complaint: MakeComplaint, staff: User, frozen: FrozenTime
) -> None:
    frozen.now = london(2026, 4, 2, 10)
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    frozen.advance_to(london(2026, 5, 28, 16))

    send_holding_response(complaint, "we wait for a valuation", date(2026, 6, 30), actor=staff)

    final = deadlines_of(complaint)[FINAL]
    assert final.met_at == london(2026, 5, 28, 16)
    assert stored(complaint).next_due_at is None


def test_refresh_recomputes_unmet_deadlines_from_a_corrected_receipt_time(
    make_complaint: MakeComplaint,
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    ack_before = deadlines_of(complaint)[ACK]

    Complaint.objects.filter(pk=complaint.pk).update(received_at=london(2026, 11, 9, 10))
    refresh_deadlines(stored(complaint))

    rows = deadlines_of(complaint)
    assert rows[SUMMARY].due_at == london(2026, 11, 12, 17)
    assert rows[FINAL].due_at == end_of_day(LONDON, 2027, 1, 4)
    # The acknowledgement was sent: that record stays as it was.
    assert (rows[ACK].due_at, rows[ACK].met_at) == (ack_before.due_at, ack_before.met_at)


def test_refresh_never_touches_a_met_deadline(make_complaint: MakeComplaint) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    met_at = london(2026, 5, 20, 11)
    mark_met(complaint, [FINAL], met_at)
    Deadline.objects.filter(complaint=complaint, clock=FINAL).update(
        at_risk_notified_at=london(2026, 5, 27, 23)
    )

    Complaint.objects.filter(pk=complaint.pk).update(received_at=london(2026, 6, 1, 10))
    refresh_deadlines(stored(complaint))

    final = deadlines_of(complaint)[FINAL]
    assert final.due_at == end_of_day(LONDON, 2026, 5, 28)
    assert final.met_at == met_at
    assert final.at_risk_notified_at == london(2026, 5, 27, 23)
    assert final.met_at <= final.due_at


def test_deadline_moved_into_the_future_forgets_its_warning_and_breach(
    make_complaint: MakeComplaint,
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    Deadline.objects.filter(complaint=complaint, clock=FINAL).update(
        at_risk_notified_at=london(2026, 5, 28, 1), breached_at=london(2026, 5, 29, 0, 5)
    )

    received = timezone.now() - timedelta(days=1)
    Complaint.objects.filter(pk=complaint.pk).update(received_at=received)
    refresh_deadlines(stored(complaint))

    final = deadlines_of(complaint)[FINAL]
    assert final.due_at > timezone.now()
    assert final.at_risk_notified_at is None
    assert final.breached_at is None


def test_deadline_moved_to_another_past_time_stays_breached(
    make_complaint: MakeComplaint, category: Category, payment_category: Category, staff: User
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10), category=category)
    breached_at = london(2026, 5, 29, 0, 5)
    Deadline.objects.filter(complaint=complaint, clock=FINAL).update(
        at_risk_notified_at=london(2026, 5, 28, 1), breached_at=breached_at
    )

    change_category(complaint, payment_category, actor=staff)

    final = deadlines_of(complaint)[FINAL]
    assert final.due_at == end_of_day(LONDON, 2026, 4, 27)
    assert final.breached_at == breached_at
    # Kept too, or the next scan would take it for a fresh deadline and breach it again.
    assert final.at_risk_notified_at == london(2026, 5, 28, 1)


def test_warned_deadline_that_moves_is_watched_afresh(
    make_complaint: MakeComplaint, category: Category, payment_category: Category, staff: User
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10), category=category)
    Deadline.objects.filter(complaint=complaint, clock=FINAL).update(
        at_risk_notified_at=london(2026, 5, 28, 1)
    )

    change_category(complaint, payment_category, actor=staff)

    final = deadlines_of(complaint)[FINAL]
    assert final.due_at == end_of_day(LONDON, 2026, 4, 27)
    assert final.at_risk_notified_at is None
    assert final.breached_at is None


def test_stale_unmet_clocks_are_removed_and_met_ones_kept(
    make_complaint: MakeComplaint, sla_normal: SlaPolicy, staff: User
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 10))
    reply_to_complaint(complaint, "We are looking into it.", actor=staff)
    first_met = deadlines_of(complaint)[FIRST].met_at
    assert first_met is not None

    sla_normal.delete()
    refresh_deadlines(stored(complaint))

    rows = deadlines_of(complaint)
    assert set(rows) == {ACK, SUMMARY, FINAL, FIRST}
    assert rows[FIRST].met_at == first_met


def test_changing_the_tenants_profile_swaps_the_regulatory_clocks(
    bank: Tenant, make_complaint: MakeComplaint
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    change_tenant(bank, regulatory_profile="us_cfpb", country="US", time_zone="America/New_York")
    refresh_deadlines(stored(complaint))

    rows = deadlines_of(complaint)
    # The summary-resolution opportunity disappears; the met acknowledgement is history; the
    # 60-day clock waits for an in-progress response.
    assert set(rows) == {ACK, INITIAL}
    assert rows[ACK].met_at is not None
    # 10:00 in London is 05:00 in New York, still 2 April: 15 days, New York midnight.
    assert rows[INITIAL].due_at == end_of_day(NEW_YORK, 2026, 4, 17)
    assert stored(complaint).next_due_at == end_of_day(NEW_YORK, 2026, 4, 17)


def test_generic_profile_keeps_only_what_was_already_met(
    bank: Tenant, make_complaint: MakeComplaint
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    change_tenant(bank, regulatory_profile="generic")
    refresh_deadlines(stored(complaint))

    assert set(deadlines_of(complaint)) == {ACK}
    assert stored(complaint).next_due_at is None


def test_the_tenants_time_zone_decides_the_local_day_and_closing_time(
    bank: Tenant, make_complaint: MakeComplaint
) -> None:
    # 23:30 UTC on Monday 1 June: Tuesday in London, still Monday evening in New York.
    complaint = make_complaint(received_at=utc(2026, 6, 1, 23, 30))
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 6, 5, 17)

    change_tenant(bank, time_zone="America/New_York")
    refresh_deadlines(stored(complaint))

    dues = due_dates_of(complaint)
    assert dues[SUMMARY] == new_york(2026, 6, 4, 17)
    assert dues[FINAL] == end_of_day(NEW_YORK, 2026, 7, 27)


def test_the_regulator_not_the_tenants_country_decides_regulatory_holidays(
    bank: Tenant, make_complaint: MakeComplaint, england: TenantSettings, sla_normal: SlaPolicy
) -> None:
    # Friday 3 July 2026 is the observed Independence Day in the US, an FCA business day.
    complaint = make_complaint(received_at=london(2026, 7, 2, 16))
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 7, 7, 17)
    # The tenant's own 4-hour first response: 1 hour on Thursday, 3 on Friday.
    assert due_dates_of(complaint)[FIRST] == london(2026, 7, 3, 12)

    change_tenant(bank, country="US")
    england.subdivision = ""
    england.save(update_fields=["subdivision"])
    refresh_deadlines(stored(complaint))

    # DISP: Friday is still day 1. The tenant's own target skips its US holiday.
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 7, 7, 17)
    assert due_dates_of(complaint)[FIRST] == london(2026, 7, 6, 12)


def test_region_of_the_business_hours_decides_regional_holidays(
    make_complaint: MakeComplaint, england: TenantSettings
) -> None:
    # Easter Monday is a bank holiday in England but not in Scotland.
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 4, 9, 17)

    england.subdivision = "SCT"
    england.save(update_fields=["subdivision"])
    refresh_deadlines(stored(complaint))

    assert due_dates_of(complaint)[SUMMARY] == london(2026, 4, 8, 17)


def test_an_unknown_region_falls_back_to_the_countrys_national_holidays(
    make_complaint: MakeComplaint, england: TenantSettings, caplog: pytest.LogCaptureFixture
) -> None:
    england.subdivision = "ENGLAND"
    england.save(update_fields=["subdivision"])

    with caplog.at_level(logging.WARNING, logger="deadlines.services"):
        complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    # The FCA's business days fall back to England and Wales: Easter Monday is not one.
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 4, 9, 17)
    assert "no region ENGLAND in the holiday calendar of GB" in caplog.text


def test_a_country_without_a_holiday_calendar_counts_only_the_working_week(
    bank: Tenant, make_complaint: MakeComplaint, caplog: pytest.LogCaptureFixture
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    change_tenant(bank, country="ZZ")
    with caplog.at_level(logging.WARNING, logger="deadlines.services"):
        refresh_deadlines(stored(complaint))

    # The tenant calendar has no holidays, but the FCA's business days are the UK's.
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 4, 9, 17)
    assert "no public holiday calendar for country ZZ" in caplog.text


# --- the tenant's own calendar ----------------------------------------------------------------


def test_closure_days_never_move_a_regulatory_clock(make_complaint: MakeComplaint) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 9, 10))
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 11, 12, 17)

    Closure.objects.create(day=date(2026, 11, 10), name="Office move")
    refresh_deadlines(stored(complaint))

    # DISP business days are the UK's, whatever the firm closes.
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 11, 12, 17)


def test_a_four_day_week_and_a_christmas_eve_closure_never_move_regulatory_clocks(
    make_complaint: MakeComplaint,
    england: TenantSettings,
    payment_category: Category,
    frozen: FrozenTime,
) -> None:
    england.working_days = [0, 1, 2, 3]
    england.save(update_fields=["working_days"])
    Closure.objects.create(day=date(2026, 12, 24), name="Christmas Eve")

    frozen.now = london(2026, 12, 23, 11)
    ordinary = make_complaint(received_at=london(2026, 12, 23, 10))
    payments = make_complaint(received_at=london(2026, 11, 19, 10), category=payment_category)

    # Thursday 24 December is an FCA business day (day 1); 25, 28 are bank holidays.
    assert due_dates_of(ordinary)[ACK] == london(2026, 12, 24, 17)
    assert due_dates_of(ordinary)[SUMMARY] == london(2026, 12, 30, 17)
    # 15 business days from Thursday 19 November, Fridays included: 10 December.
    assert due_dates_of(payments)[FINAL] == end_of_day(LONDON, 2026, 12, 10)


def test_closure_days_delay_sla_clocks(
    make_complaint: MakeComplaint, sla_normal: SlaPolicy
) -> None:
    Closure.objects.create(day=date(2026, 11, 10), name="Staff training")

    complaint = make_complaint(received_at=london(2026, 11, 9, 15))

    # Two hours on Monday; Tuesday is closed; two more on Wednesday.
    assert due_dates_of(complaint)[FIRST] == london(2026, 11, 11, 11)


def test_working_saturdays_and_later_closing_never_move_regulatory_clocks(
    make_complaint: MakeComplaint, england: TenantSettings
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 12, 10))
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 11, 17, 17)

    england.working_days = [0, 1, 2, 3, 4, 5]
    england.closes = time(18, 0)
    england.save(update_fields=["working_days", "closes"])
    refresh_deadlines(stored(complaint))

    # DISP close of business is 17:00 on a Monday-to-Friday business day.
    assert due_dates_of(complaint)[SUMMARY] == london(2026, 11, 17, 17)


def test_business_hours_decide_when_sla_clocks_run(
    make_complaint: MakeComplaint, england: TenantSettings, sla_normal: SlaPolicy
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 9, 15))
    # 09:00-17:00: two hours on Monday, two on Tuesday.
    assert due_dates_of(complaint)[FIRST] == london(2026, 11, 10, 11)

    england.opens, england.closes = time(8, 0), time(18, 0)
    england.save(update_fields=["opens", "closes"])
    refresh_deadlines(stored(complaint))

    # 08:00-18:00: three hours on Monday, one on Tuesday.
    assert due_dates_of(complaint)[FIRST] == london(2026, 11, 10, 9)


def test_business_hours_start_as_monday_to_friday_nine_to_five_with_englands_holidays(
    bank: Tenant,
) -> None:
    hours = TenantSettings.current()

    assert (hours.working_days, hours.opens, hours.closes) == ([0, 1, 2, 3, 4], time(9), time(17))
    assert hours.subdivision == "ENG"


# --- next_due_at ------------------------------------------------------------------------------


def test_next_due_is_the_earliest_enforced_unmet_deadline_not_the_summary_resolution(
    make_complaint: MakeComplaint,
) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    # The summary resolution (9 April) is earlier but only an opportunity; the
    # acknowledgement (7 April) is met.
    assert stored(complaint).next_due_at == end_of_day(LONDON, 2026, 5, 28)


def test_an_unmet_acknowledgement_is_the_next_due(make_complaint: MakeComplaint) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))
    Deadline.objects.filter(complaint=complaint, clock=ACK).update(met_at=None)

    update_next_due(stored(complaint))

    assert stored(complaint).next_due_at == london(2026, 4, 7, 17)


def test_next_due_moves_on_when_the_earliest_deadline_is_met(
    make_complaint: MakeComplaint, sla_normal: SlaPolicy, staff: User
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 10))
    assert stored(complaint).next_due_at == london(2026, 11, 16, 14)

    reply_to_complaint(complaint, "We are on it.", actor=staff)

    assert stored(complaint).next_due_at == london(2026, 11, 23, 10)


def test_no_next_due_once_every_enforced_deadline_is_met(make_complaint: MakeComplaint) -> None:
    complaint = make_complaint(received_at=london(2026, 4, 2, 10))

    mark_met(complaint, [FINAL])

    assert stored(complaint).next_due_at is None


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_inactive_complaint_has_no_next_due(make_complaint: MakeComplaint, status: Status) -> None:
    complaint = put_in_status(make_complaint(received_at=london(2026, 4, 2, 10)), status)

    update_next_due(complaint)

    assert stored(complaint).next_due_at is None


def test_withdrawing_clears_next_due(make_complaint: MakeComplaint, owner: User) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 10))
    assert stored(complaint).next_due_at is not None

    change_status(complaint, Status.WITHDRAWN, actor=owner)

    assert stored(complaint).next_due_at is None


def test_resolving_meets_the_clocks_and_clears_next_due(
    make_complaint: MakeComplaint, staff: User, sla_normal: SlaPolicy
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 10))
    cause = RootCause.objects.create(name="Processing error")

    resolve_complaint(
        complaint, outcome="upheld", summary="Refunded.", root_cause=cause, actor=staff
    )

    assert stored(complaint).next_due_at is None
    rows = deadlines_of(complaint)
    assert all(rows[clock].met_at is not None for clock in (FINAL, FIRST, RESOLUTION))


def test_a_complaint_back_at_work_counts_its_unmet_clocks_again(
    make_complaint: MakeComplaint, owner: User
) -> None:
    complaint = put_in_status(make_complaint(received_at=london(2026, 11, 16, 10)), Status.RESOLVED)
    update_next_due(complaint)
    assert stored(complaint).next_due_at is None

    reject_resolution(complaint, "The refund never arrived.", actor=owner)

    assert stored(complaint).next_due_at == end_of_day(LONDON, 2027, 1, 11)


# --- pausing the SLA clocks -------------------------------------------------------------------


def test_sla_clocks_stop_while_awaiting_the_consumer_and_move_by_the_business_time_waited(
    frozen: FrozenTime,
    make_complaint: MakeComplaint,
    sla_normal: SlaPolicy,
    staff: User,
    owner: User,
) -> None:
    complaint = make_complaint()  # received Monday 16 November 09:30
    dues = due_dates_of(complaint)
    assert dues[FIRST] == london(2026, 11, 16, 13, 30)
    assert dues[RESOLUTION] == london(2026, 11, 23, 9, 30)

    frozen.advance_to(london(2026, 11, 16, 11))
    change_status(complaint, Status.AWAITING_CONSUMER, actor=staff)
    paused = stored(complaint)
    assert paused.sla_paused_since == london(2026, 11, 16, 11)
    # While paused, only the regulatory clocks count for the queue.
    assert paused.next_due_at == end_of_day(LONDON, 2027, 1, 11)

    frozen.advance_to(london(2026, 11, 17, 10))
    reply_to_complaint(stored(complaint), "Here is my statement.", actor=owner)

    resumed = stored(complaint)
    # Waited 6 business hours on Monday and 1 on Tuesday.
    assert resumed.sla_paused_since is None
    assert resumed.sla_paused_for == timedelta(hours=7)
    dues = due_dates_of(complaint)
    assert dues[FIRST] == london(2026, 11, 17, 12, 30)
    assert dues[RESOLUTION] == london(2026, 11, 23, 16, 30)
    assert dues[FINAL] == end_of_day(LONDON, 2027, 1, 11)
    assert resumed.next_due_at == london(2026, 11, 17, 12, 30)


def test_a_pause_over_the_weekend_counts_only_business_hours(
    frozen: FrozenTime, make_complaint: MakeComplaint, sla_normal: SlaPolicy
) -> None:
    frozen.advance_to(london(2026, 11, 20, 15))
    complaint = make_complaint()  # Friday 15:00: first response due Monday 11:00
    assert due_dates_of(complaint)[FIRST] == london(2026, 11, 23, 11)

    frozen.advance_to(london(2026, 11, 20, 16))
    pause_sla(stored(complaint))
    frozen.advance_to(london(2026, 11, 23, 10))
    resume_sla(stored(complaint))

    assert stored(complaint).sla_paused_for == timedelta(hours=2)
    assert due_dates_of(complaint)[FIRST] == london(2026, 11, 23, 13)


def test_pauses_add_up_and_pausing_twice_keeps_the_first_start(
    frozen: FrozenTime, make_complaint: MakeComplaint, sla_normal: SlaPolicy
) -> None:
    complaint = make_complaint()  # Monday 09:30

    frozen.advance_to(london(2026, 11, 16, 10))
    pause_sla(stored(complaint))
    frozen.advance_to(london(2026, 11, 16, 11))
    pause_sla(stored(complaint))
    assert stored(complaint).sla_paused_since == london(2026, 11, 16, 10)
    frozen.advance_to(london(2026, 11, 16, 12))
    resume_sla(stored(complaint))

    frozen.advance_to(london(2026, 11, 16, 14))
    pause_sla(stored(complaint))
    frozen.advance_to(london(2026, 11, 16, 14, 30))
    resume_sla(stored(complaint))
    resume_sla(stored(complaint))  # not paused: nothing more is added

    assert stored(complaint).sla_paused_for == timedelta(hours=2, minutes=30)
    # 4 business hours from 09:30 plus 2h30 paused.
    assert due_dates_of(complaint)[FIRST] == london(2026, 11, 16, 16)


def test_regulatory_clocks_run_on_while_paused(
    frozen: FrozenTime, make_complaint: MakeComplaint, sla_normal: SlaPolicy
) -> None:
    complaint = make_complaint()
    before = due_dates_of(complaint)

    frozen.advance_to(london(2026, 11, 16, 10))
    pause_sla(stored(complaint))
    frozen.advance_to(london(2026, 11, 19, 10))
    resume_sla(stored(complaint))

    after = due_dates_of(complaint)
    assert {clock: after[clock] for clock in (ACK, SUMMARY, FINAL)} == {
        clock: before[clock] for clock in (ACK, SUMMARY, FINAL)
    }
    assert after[FIRST] > before[FIRST]


# --- clocks stop with the complaint -----------------------------------------------------------


def test_withdrawing_stops_the_unmet_clocks_with_the_reason(
    make_complaint: MakeComplaint, owner: User, frozen: FrozenTime
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 9))
    frozen.advance_to(london(2026, 11, 17, 12))

    change_status(complaint, Status.WITHDRAWN, actor=owner)

    rows = deadlines_of(complaint)
    assert rows[ACK].met_at is not None and rows[ACK].stopped_at is None
    assert (rows[FINAL].stopped_at, rows[FINAL].stopped_reason) == (
        london(2026, 11, 17, 12),
        "the consumer withdrew the complaint",
    )
    assert not Deadline.objects.open().filter(complaint=complaint).exists()
    assert stored(complaint).next_due_at is None


def test_merging_stops_the_duplicates_clocks_naming_the_complaint_kept(
    make_complaint: MakeComplaint, staff: User, frozen: FrozenTime
) -> None:
    kept = make_complaint(received_at=london(2026, 11, 16, 9))
    duplicate = make_complaint(received_at=london(2026, 11, 16, 9, 10))

    merge_complaint(duplicate, kept, actor=staff)

    assert deadlines_of(duplicate)[FINAL].stopped_reason == (
        f"closed as a duplicate of {kept.reference}"
    )
    assert deadlines_of(kept)[FINAL].stopped_at is None


# --- CFPB: the 15-day response and the 60-day final response -----------------------------------


def test_cfpb_in_progress_response_meets_15_days_and_starts_the_60_day_clock(
    bank: Tenant, make_complaint: MakeComplaint, staff: User, frozen: FrozenTime
) -> None:
    change_tenant(bank, regulatory_profile="us_cfpb", country="US", time_zone="America/New_York")
    frozen.now = new_york(2026, 10, 19, 22)
    complaint = make_complaint(received_at=new_york(2026, 10, 19, 21))
    assert set(deadlines_of(complaint)) == {INITIAL}

    frozen.advance_to(new_york(2026, 10, 30, 11))
    event = send_in_progress_response(
        complaint, "We asked the branch for its records.", actor=staff
    )

    rows = deadlines_of(complaint)
    # 19 October + 15 days = 3 November, met on 30 October; + 60 days = 18 December (EST).
    assert rows[INITIAL].due_at == end_of_day(NEW_YORK, 2026, 11, 3)
    assert rows[INITIAL].met_at == new_york(2026, 10, 30, 11)
    assert rows[FINAL].due_at == end_of_day(NEW_YORK, 2026, 12, 18)
    assert rows[FINAL].met_at is None
    assert stored(complaint).in_progress_at == new_york(2026, 10, 30, 11)
    assert "is in progress" in event.body and "asked the branch" in event.body


def test_an_in_progress_response_is_refused_where_the_regulator_has_none(
    make_complaint: MakeComplaint, staff: User
) -> None:
    complaint = make_complaint(received_at=london(2026, 11, 16, 9))
    with pytest.raises(ComplaintError, match="no in-progress response"):
        send_in_progress_response(complaint, "Looking into it.", actor=staff)
    assert stored(complaint).in_progress_at is None
