"""Fixtures for the report tests: complaints placed at chosen moments, a fixed 'now'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from complaints.models import Complaint, RootCause
from reports.metrics import Period, Scope
from reports.rollups import rebuild_counts

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
