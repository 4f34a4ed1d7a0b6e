"""Fixtures for the report tests: complaints placed at chosen moments, a fixed 'now'."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Complaint, RootCause
from reports.metrics import Period, Scope
from reports.rollups import rebuild_counts
from reports.settled import rebuild_settled_counts

LONDON = ZoneInfo("Europe/London")


def london(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


def scope(first: date, last: date, now: datetime) -> Scope:
    return Scope(Period(first, last, LONDON), now)


def update(complaint: Complaint, **fields: Any) -> Complaint:
    """Test set-up: write timestamps and outcomes directly, as if time had passed; the
    rollups, which only changes through the gate keep, are recounted as after a backfill."""
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    rebuild_counts()
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def received_at(make_complaint: Callable[..., Complaint]) -> Callable[..., Complaint]:
    """A complaint received at a given moment, with any fields then set directly."""

    def make(moment: datetime, **fields: Any) -> Complaint:
        return update(make_complaint(received_at=moment), **fields)

    return make


@pytest.fixture
def process_gap(bank: Any) -> RootCause:
    return RootCause.objects.create(name="Process gap")


@pytest.fixture
def recounted_afterwards(db: None, django_db_blocker: Any) -> Iterator[None]:
    """Recount the bank's committed rollups (daily counts, settled deadlines) once the
    committed test data is gone (listed before ``world``, this is torn down after it)."""
    from tests.complaints.test_concurrency import in_bank

    yield
    with django_db_blocker.unblock():
        in_bank(rebuild_counts)
        in_bank(rebuild_settled_counts)
