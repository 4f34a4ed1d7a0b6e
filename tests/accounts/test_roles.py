"""Changing a staff member's role, always through the audited service."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import Role, User
from accounts.services import AccountError, change_role
from audit.models import AuditEvent


def test_changing_a_role_is_saved_and_audited(agent: User, tenant_admin: User) -> None:
    change_role(agent, Role.MANAGER, actor=tenant_admin)

    agent.refresh_from_db()
    assert agent.role == Role.MANAGER
    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGED)
    assert event.actor_id == tenant_admin.pk
    assert event.actor_email == "avery@example.com"
    assert event.target == "alex@example.com"
    assert event.detail == {"previous": "agent", "role": "manager"}


def test_role_change_by_the_system_is_audited_without_an_actor(agent: User) -> None:
    change_role(agent, "specialist", actor=None)

    event = AuditEvent.objects.get(action=AuditEvent.Action.ROLE_CHANGED)
    assert event.actor_id is None
    assert event.detail == {"previous": "agent", "role": "specialist"}


def test_giving_the_same_role_again_changes_nothing_and_writes_no_audit_row(
    agent: User, tenant_admin: User
) -> None:
    change_role(agent, Role.AGENT, actor=tenant_admin)

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).exists()


@pytest.mark.parametrize("role", [Role.AGENT, Role.ADMIN])
def test_giving_a_consumer_a_staff_role_is_refused(
    consumer: User, tenant_admin: User, role: Role, audit_actions: Callable[..., list[str]]
) -> None:
    with pytest.raises(AccountError, match="invite the person"):
        change_role(consumer, role, actor=tenant_admin)

    consumer.refresh_from_db()
    assert consumer.role == Role.CONSUMER
    assert AuditEvent.Action.ROLE_CHANGED not in audit_actions()


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.OPERATOR, "root"])
def test_staff_cannot_be_given_a_role_outside_tenant_staff(
    manager: User, tenant_admin: User, role: str
) -> None:
    with pytest.raises(AccountError, match="not a staff role"):
        change_role(manager, role, actor=tenant_admin)

    manager.refresh_from_db()
    assert manager.role == Role.MANAGER
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).exists()
