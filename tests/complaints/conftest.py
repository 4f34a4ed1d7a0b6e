"""Fixtures for the complaint tests: a second team, verified staff for service calls, helpers."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, User
from complaints.models import Complaint, Event, RootCause, Status, Team
from configuration.models import TenantSettings
from tenancy.models import Tenant
from tests.conftest import sign_in, tenant_client

REFERENCE_LINK = re.compile(r'href="/(?:console/)?complaints/(C-\d{4}-\d{6})/"')


def as_request_user(user: User) -> User:
    """A fresh copy of ``user``, read from the database as a view, a task or a command reads it.

    Services take a plain user: the second factor is enforced at the edges, not here.
    """
    return User.objects.get(pk=user.pk)


def put_in_status(complaint: Complaint, status: Status | str) -> Complaint:
    """Test set-up: place a complaint in a status directly, without a timeline event."""
    Complaint.objects.filter(pk=complaint.pk).update(status=status)
    complaint.refresh_from_db()
    return complaint


def snapshot(complaint: Complaint) -> dict[str, Any]:
    """Everything a refused change must leave as it was, read from the database."""
    row = Complaint.objects.get(pk=complaint.pk)
    return {
        "status": row.status,
        "first_responded_at": row.first_responded_at,
        "resolved_at": row.resolved_at,
        "closed_at": row.closed_at,
        "updated_at": row.updated_at,
        "events": list(Event.objects.filter(complaint=row).values_list("pk", flat=True)),
    }


def references_in(response: Any) -> list[str]:
    """The complaint references a list page links to, in page order."""
    return REFERENCE_LINK.findall(response.content.decode())


@pytest.fixture
def root_cause(bank: Tenant) -> RootCause:
    return RootCause.objects.create(name="Duplicate card transaction")


@pytest.fixture
def staff(agent: User) -> User:
    """The front-line agent as a request carries them, second factor passed."""
    return as_request_user(agent)


@pytest.fixture
def approval_required(bank: Tenant) -> TenantSettings:
    """The tenant's final responses wait for a manager's approval."""
    policy = TenantSettings.current()
    policy.final_response_approval = True
    policy.save()
    return policy


@pytest.fixture
def other_team(bank: Tenant) -> Team:
    return Team.objects.create(name="Billing disputes")


@pytest.fixture
def other_agent(make_user: Callable[..., User], other_team: Team) -> User:
    """An agent who works the billing team's queue, not the front line's."""
    user = make_user(Role.AGENT, "blake@example.com", full_name="Blake Billing")
    other_team.members.add(user)
    return user


@pytest.fixture
def other_agent_client(bank: Tenant, other_agent: User) -> Client:
    return sign_in(tenant_client(bank), other_agent)


@pytest.fixture
def other_consumer_client(bank: Tenant, other_consumer: User) -> Client:
    return sign_in(tenant_client(bank), other_consumer)


@pytest.fixture
def referred(complaint: Complaint, specialist: User) -> Complaint:
    """``complaint`` referred to ``specialist`` for second-line support."""
    complaint.specialist = specialist
    complaint.save(update_fields=["specialist"])
    return complaint


@pytest.fixture
def back_to_bank(bank: Tenant, activate: Callable[[Tenant], Tenant]) -> Callable[[], Tenant]:
    """Requests switch the connection to their host's schema; this switches the test back."""
    return functools.partial(activate, bank)
