"""Fixtures for the deadline tests: English bank holidays, a frozen clock, verified staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def end_of_day(zone: ZoneInfo, year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 23, 59, 59, tzinfo=zone)


def deadlines_of(complaint: Complaint) -> dict[Clock, Deadline]:
    """The complaint's deadlines as stored, by clock."""
    return {Clock(row.clock): row for row in Deadline.objects.filter(complaint=complaint)}


def due_dates_of(complaint: Complaint) -> dict[Clock, datetime]:
    return {clock: row.due_at for clock, row in deadlines_of(complaint).items()}


def stored(complaint: Complaint) -> Complaint:
    return Complaint.objects.get(pk=complaint.pk)


@dataclass
class FrozenTime:
    now: datetime

    def advance_to(self, moment: datetime) -> None:
        assert moment >= self.now, "time only moves forward"
        self.now = moment

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> FrozenTime:
    """Django's clock stopped at a known moment; tests move it on explicitly."""
    clock = FrozenTime(london(2026, 11, 16, 9, 30))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def england(bank: Tenant) -> TenantSettings:
    """The bank works Monday to Friday, 09:00-17:00, with England's bank holidays."""
    hours = TenantSettings.current()
    hours.subdivision = "ENG"
    hours.save(update_fields=["subdivision"])
    return hours


@pytest.fixture
def staff(manager: User) -> User:
    """A manager as a request carries them (second factor passed): may work any complaint."""
    return as_request_user(manager)


@pytest.fixture
def owner(consumer: User) -> User:
    """The complaining consumer as a request carries them."""
    return as_request_user(consumer)
