"""Every clock of every regulator, against due instants worked out by hand from the rules.

Calendars used (checked on a printed calendar, not with the code under test):
2026: Good Friday 3 April, Easter Monday 6 April, early May bank holiday 4 May, spring bank
holiday 25 May, English late-summer bank holiday 31 August (Scotland's: 3 August);
Christmas Friday 25 December, Boxing Day Saturday 26 December with its substitute Monday 28
December; New Year's Day Friday 1 January 2027. 2027: Christmas Saturday 25 and Boxing Day
Sunday 26 December, substitutes Monday 27 and Tuesday 28 December. 2028: leap day Tuesday
29 February. Clocks change: UK and EU 29 March and 25 October 2026; US 8 March and
1 November 2026, 12 March 2028.

Day ends: "close of business" is 17:00 local, "end of" a day is 23:59:59 local.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from deadlines.models import Clock
from deadlines.regulation import UnknownProfile, regulator_for, regulators
from deadlines.regulation.base import ClockFacts, Letter, Regulator
from tenancy.models import RegulatoryProfile

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
PARIS = ZoneInfo("Europe/Paris")

ACK = Clock.ACKNOWLEDGEMENT
SUMMARY = Clock.SUMMARY_RESOLUTION
FINAL = Clock.FINAL_RESPONSE
INITIAL = Clock.INITIAL_RESPONSE
ADR = Clock.ADR_LETTER

FCA = regulator_for("uk_fca")
PSD = regulator_for("uk_fca", payment_services=True)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def cob(zone: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """Close of business (17:00 local) of a day."""
    return datetime(year, month, day, 17, tzinfo=zone)


def eod(zone: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """The end (last second) of a local day."""
    return datetime(year, month, day, 23, 59, 59, tzinfo=zone)


def fca(ack: datetime, summary: datetime, final: datetime) -> dict[Clock, tuple[datetime, bool]]:
    return {ACK: (ack, True), SUMMARY: (summary, False), FINAL: (final, True)}


def due(
    regulator: Regulator, zone: ZoneInfo, facts: ClockFacts, subdivision: str = "ENG"
) -> dict[Clock, tuple[datetime, bool]]:
    return regulator.due_dates(regulator.days(zone, subdivision), facts)


CASES: list[Any] = [
    # --- uk_fca: acknowledgement 1 business day (close), summary 3 (close), final 8 weeks (end)
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 11, 20, 19)),
        fca(cob(LONDON, 2026, 11, 23), cob(LONDON, 2026, 11, 25), eod(LONDON, 2027, 1, 15)),
        id="fca-friday-evening-counts-from-monday;-8-weeks-is-calendar-time-20nov+56=15jan",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 11, 21, 11)),
        fca(cob(LONDON, 2026, 11, 23), cob(LONDON, 2026, 11, 25), eod(LONDON, 2027, 1, 16)),
        id="fca-saturday-receipt:-weekend-is-no-business-day,-8-weeks-from-saturday",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 12, 24, 9)),
        fca(cob(LONDON, 2026, 12, 29), cob(LONDON, 2026, 12, 31), eod(LONDON, 2027, 2, 18)),
        id="fca-christmas-eve:-25-christmas,-26-27-weekend,-28-boxing-day-substitute",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 12, 30, 10)),
        fca(cob(LONDON, 2026, 12, 31), cob(LONDON, 2027, 1, 5), eod(LONDON, 2027, 2, 24)),
        id="fca-new-year:-31dec-is-day-1,-1jan-bank-holiday,-4jan-day-2,-5jan-day-3",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2027, 12, 24, 12)),
        fca(cob(LONDON, 2027, 12, 29), cob(LONDON, 2027, 12, 31), eod(LONDON, 2028, 2, 18)),
        id="fca-christmas-2027:-two-substitute-days-27-and-28-december",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 4, 2, 10)),
        fca(cob(LONDON, 2026, 4, 7), cob(LONDON, 2026, 4, 9), eod(LONDON, 2026, 5, 28)),
        id="fca-thursday-before-easter:-good-friday-and-easter-monday-are-not-business-days",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 5, 1, 15)),
        fca(cob(LONDON, 2026, 5, 5), cob(LONDON, 2026, 5, 7), eod(LONDON, 2026, 6, 26)),
        id="fca-friday-before-early-may-bank-holiday",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 8, 28, 10)),
        fca(cob(LONDON, 2026, 9, 1), cob(LONDON, 2026, 9, 3), eod(LONDON, 2026, 10, 23)),
        id="fca-england:-31-august-late-summer-bank-holiday",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(utc(2026, 6, 1, 23, 30)),
        fca(cob(LONDON, 2026, 6, 3), cob(LONDON, 2026, 6, 5), eod(LONDON, 2026, 7, 28)),
        id="fca-23:30-utc-monday-is-00:30-bst-tuesday:-the-local-day-of-receipt-counts",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(utc(2026, 6, 1, 22, 59)),
        fca(cob(LONDON, 2026, 6, 2), cob(LONDON, 2026, 6, 4), eod(LONDON, 2026, 7, 27)),
        id="fca-22:59-utc-is-23:59-bst-monday:-still-monday",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 3, 27, 16)),
        fca(utc(2026, 3, 30, 16), utc(2026, 4, 1, 16), utc(2026, 5, 22, 22, 59, 59)),
        id="fca-received-in-gmt,-due-in-bst:-17:00-bst-is-16:00-utc",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 10, 23, 12)),
        fca(utc(2026, 10, 26, 17), utc(2026, 10, 28, 17), utc(2026, 12, 18, 23, 59, 59)),
        id="fca-received-in-bst,-due-in-gmt:-17:00-gmt-is-17:00-utc",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2028, 2, 29, 10)),
        fca(cob(LONDON, 2028, 3, 1), cob(LONDON, 2028, 3, 3), eod(LONDON, 2028, 4, 25)),
        id="fca-leap-day:-29feb+56-days-is-25-april-(in-bst)",
    ),
    pytest.param(
        FCA,
        LONDON,
        ClockFacts(london(2026, 4, 2, 10), holding_reply_at=london(2026, 4, 10, 9)),
        fca(cob(LONDON, 2026, 4, 7), cob(LONDON, 2026, 4, 9), eod(LONDON, 2026, 5, 28)),
        id="fca-a-holding-response-does-not-move-the-8-week-clock-(DISP-1.6.2R)",
    ),
    # --- uk_fca payment services: final response at the END of 15 business days, 35 extended
    pytest.param(
        PSD,
        LONDON,
        ClockFacts(london(2026, 4, 2, 10)),
        fca(cob(LONDON, 2026, 4, 7), cob(LONDON, 2026, 4, 9), eod(LONDON, 2026, 4, 27)),
        id="psd-15-business-days-over-easter:-7apr=1...27apr=15,-end-of-day",
    ),
    pytest.param(
        PSD,
        LONDON,
        ClockFacts(london(2026, 4, 2, 10), holding_reply_at=london(2026, 4, 27, 23)),
        fca(cob(LONDON, 2026, 4, 7), cob(LONDON, 2026, 4, 9), eod(LONDON, 2026, 5, 27)),
        id="psd-holding-reply-at-23:00-on-day-15-is-in-time:-35-days-skip-4-and-25-may",
    ),
    pytest.param(
        PSD,
        LONDON,
        ClockFacts(london(2026, 4, 2, 10), holding_reply_at=london(2026, 4, 28, 0, 1)),
        fca(cob(LONDON, 2026, 4, 7), cob(LONDON, 2026, 4, 9), eod(LONDON, 2026, 4, 27)),
        id="psd-holding-reply-after-day-15-earns-no-extension-(DISP-1.6.2AR)",
    ),
    pytest.param(
        PSD,
        LONDON,
        ClockFacts(london(2026, 12, 24, 9)),
        fca(cob(LONDON, 2026, 12, 29), cob(LONDON, 2026, 12, 31), eod(LONDON, 2027, 1, 19)),
        id="psd-over-christmas-and-new-year:-29dec=1,-4jan=4,-19jan=15",
    ),
    pytest.param(
        PSD,
        LONDON,
        ClockFacts(london(2028, 2, 29, 10)),
        fca(cob(LONDON, 2028, 3, 1), cob(LONDON, 2028, 3, 3), eod(LONDON, 2028, 3, 21)),
        id="psd-from-leap-day:-1mar=1...21mar=15",
    ),
    # --- us_cfpb: 15 calendar days; 60 only after a recorded in-progress response ----------
    pytest.param(
        regulator_for("us_cfpb"),
        NEW_YORK,
        ClockFacts(new_york(2026, 3, 1, 22)),
        {INITIAL: (utc(2026, 3, 17, 3, 59, 59), True)},
        id="cfpb-received-in-est,-due-in-edt:-16mar-23:59:59-edt,-no-60-day-clock-yet",
    ),
    pytest.param(
        regulator_for("us_cfpb"),
        NEW_YORK,
        ClockFacts(utc(2026, 10, 20, 2), in_progress_at=utc(2026, 10, 30, 15)),
        {
            INITIAL: (utc(2026, 11, 4, 4, 59, 59), True),
            FINAL: (utc(2026, 12, 19, 4, 59, 59), True),
        },
        id="cfpb-02:00-utc-is-22:00-edt-the-day-before;-in-progress-starts-the-60-days",
    ),
    pytest.param(
        regulator_for("us_cfpb"),
        NEW_YORK,
        ClockFacts(new_york(2026, 12, 20, 10)),
        {INITIAL: (eod(NEW_YORK, 2027, 1, 4), True)},
        id="cfpb-calendar-days-ignore-christmas-and-new-year",
    ),
    # --- uk_ofcom: the ADR letter at 8 weeks --------------------------------------------
    pytest.param(
        regulator_for("uk_ofcom"),
        LONDON,
        ClockFacts(london(2026, 3, 2, 10)),
        {ADR: (utc(2026, 4, 27, 22, 59, 59), True)},
        id="ofcom-8-weeks-across-the-spring-change:-end-of-27-april-bst",
    ),
    pytest.param(
        regulator_for("uk_ofcom"),
        LONDON,
        ClockFacts(london(2026, 10, 3, 15)),
        {ADR: (utc(2026, 11, 28, 23, 59, 59), True)},
        id="ofcom-saturday-across-the-autumn-change:-end-of-28-november-gmt",
    ),
    # --- us_dot_airline: 30 and 60 calendar days ----------------------------------------
    pytest.param(
        regulator_for("us_dot_airline"),
        NEW_YORK,
        ClockFacts(new_york(2026, 10, 15, 10)),
        {ACK: (utc(2026, 11, 15, 4, 59, 59), True), FINAL: (utc(2026, 12, 15, 4, 59, 59), True)},
        id="dot-across-the-us-autumn-change:-14nov-and-14dec-in-est",
    ),
    pytest.param(
        regulator_for("us_dot_airline"),
        NEW_YORK,
        ClockFacts(new_york(2028, 2, 10, 12)),
        {ACK: (utc(2028, 3, 12, 4, 59, 59), True), FINAL: (utc(2028, 4, 11, 3, 59, 59), True)},
        id="dot-leap-year:-10feb+30=11mar-(est),-+60=10apr-(edt)",
    ),
    # --- eu_air: 6 weeks ----------------------------------------------------------------
    pytest.param(
        regulator_for("eu_air"),
        PARIS,
        ClockFacts(paris(2026, 3, 20, 10)),
        {FINAL: (utc(2026, 5, 1, 21, 59, 59), True)},
        id="eu-air-across-the-eu-spring-change:-1-may-23:59:59-cest",
    ),
    pytest.param(
        regulator_for("eu_air"),
        PARIS,
        ClockFacts(utc(2026, 10, 24, 22, 30)),
        {FINAL: (utc(2026, 12, 6, 22, 59, 59), True)},
        id="eu-air-22:30-utc-is-00:30-cest-on-the-change-day-25-october:-6dec-cet",
    ),
    # --- generic: only the tenant's own SLA targets ------------------------------------
    pytest.param(
        regulator_for("generic"), LONDON, ClockFacts(london(2026, 4, 2, 10)), {}, id="generic"
    ),
]


@pytest.mark.parametrize(("regulator", "zone", "facts", "expected"), CASES)
def test_regulatory_clocks_fall_due_as_the_rules_read(
    regulator: Regulator,
    zone: ZoneInfo,
    facts: ClockFacts,
    expected: dict[Clock, tuple[datetime, bool]],
) -> None:
    assert due(regulator, zone, facts) == expected


def test_scotland_counts_its_own_bank_holidays() -> None:
    # 31 August is no Scottish bank holiday (Scotland's was 3 August): 31 Aug is day 1.
    assert due(FCA, LONDON, ClockFacts(london(2026, 8, 28, 10)), "SCT")[SUMMARY] == (
        cob(LONDON, 2026, 9, 2),
        False,
    )


def test_an_unknown_region_reads_as_england_and_wales() -> None:
    facts = ClockFacts(london(2026, 8, 28, 10))
    assert due(FCA, LONDON, facts, "NY") == due(FCA, LONDON, facts, "ENG")


def test_every_profile_has_one_regulator() -> None:
    assert set(regulators()) == set(RegulatoryProfile.values)
    with pytest.raises(UnknownProfile):
        regulator_for("us_hipaa")


def test_every_clock_states_its_rule_and_what_meets_it() -> None:
    for regulator in [*regulators().values(), PSD]:
        for rule in regulator.clocks:
            assert rule.rule and rule.met_by, (regulator.code, rule.clock)


def test_what_meets_each_duty() -> None:
    # DISP 1.6.2R: a compliant holding response meets the 8-week duty; for payment services
    # it only extends the limit (DISP 1.6.2AR), so it meets nothing there.
    assert FCA.clocks_met_by(Letter.HOLDING_RESPONSE) == [FINAL]
    assert PSD.clocks_met_by(Letter.HOLDING_RESPONSE) == []
    assert regulator_for("us_cfpb").clocks_met_by(Letter.IN_PROGRESS) == [INITIAL]
    assert regulator_for("uk_ofcom").clocks_met_by(Letter.ADR_LETTER) == [ADR]
