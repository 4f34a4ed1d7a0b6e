"""What the consumer portal tells people, in plain words: statuses and the promised deadlines."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from complaints.models import PROMISE_CLOCKS, Priority, Status
from deadlines.models import Clock, Deadline, SlaPolicy
from deadlines.regulation import regulator_for
from deadlines.regulation.base import ClockFacts, Regulator

CONSUMER_STATUS = {
    Status.NEW: "Received",
    Status.OPEN: "Being looked into",
    Status.AWAITING_CONSUMER: "Waiting for your reply",
    Status.RESOLVED: "Answer sent",
    Status.CLOSED: "Closed",
    Status.REOPENED: "Being looked at again",
    Status.WITHDRAWN: "Withdrawn",
}


def promised_deadline(deadlines: Iterable[Deadline]) -> Deadline | None:
    """The deadline the consumer is promised: of ``PROMISE_CLOCKS``, the first in that
    order that is still running (as ``ComplaintQuerySet.with_promise`` finds it)."""
    running = {
        deadline.clock: deadline
        for deadline in deadlines
        if deadline.enforced and deadline.met_at is None and deadline.stopped_at is None
    }
    return next((running[clock] for clock in PROMISE_CLOCKS if clock in running), None)


def consumer_status(status: str) -> str:
    return CONSUMER_STATUS.get(Status(status), Status(status).label)


def _periods(regulator: Regulator) -> dict[Clock, str]:
    """How long each enforced clock of ``regulator`` runs that applies from receipt."""
    return {
        rule.clock: rule.period()
        for rule in regulator.clocks
        if rule.enforced and rule.applies(ClockFacts(received_at=timezone.now()))
    }


def promises(profile: str, *, payment_services_offered: bool = False) -> list[str]:
    """What a consumer is promised on submitting a complaint under the tenant's profile."""
    regulator = regulator_for(profile)
    periods = _periods(regulator)
    said: list[str] = []
    if Clock.INITIAL_RESPONSE in periods:
        said.append(f"We will respond within {periods[Clock.INITIAL_RESPONSE]}.")
    if Clock.FINAL_RESPONSE in periods:
        said.append(f"We will send you our final response within {periods[Clock.FINAL_RESPONSE]}.")
        faster = _periods(regulator.for_complaint(payment_services=True))[Clock.FINAL_RESPONSE]
        if payment_services_offered and faster != periods[Clock.FINAL_RESPONSE]:
            said.append(f"For complaints about payments or e-money: within {faster}.")
    if Clock.ADR_LETTER in periods:
        said.append(
            f"We aim to settle it within {periods[Clock.ADR_LETTER]}. If we have not, you can "
            "take it to an independent dispute resolution (ADR) scheme, free of charge."
        )
    if not said:
        target = SlaPolicy.for_priority(Priority.NORMAL)
        said.append(
            f"We aim to resolve it within {target.resolution_hours} working hours."
            if target is not None
            else "We will reply as soon as we can."
        )
    return said
