"""Brute force of the second factor: every failure counts and staff sign-in locks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.second_factor import LOCK_AFTER_FAILURES, LOCK_FOR
from audit.models import AuditEvent
from tenancy.models import Tenant
from tests.api.conftest import request_tokens
from tests.conftest import PASSWORD, current_code, deliver_outbox, sign_in, tenant_client

VERIFY = "/account/two-factor/"
# The start of a 30-second TOTP step.
START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def is_verified(client: Client) -> bool:
    return "otp_device_id" in client.session


def hammer(client: Client, attempts: int) -> None:
    """Wrong codes as fast as a script sends them: each a failure, throttled or not."""
    for _ in range(attempts):
        client.post(VERIFY, {"code": wrong(current_code())})


def test_wrong_codes_lock_staff_sign_in_for_a_period(bank: Tenant, agent: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        attacker = sign_in(tenant_client(bank), agent, second_factor=False)
        hammer(attacker, LOCK_AFTER_FAILURES - 1)
        agent.refresh_from_db()
        assert agent.second_factor_locked_until is None

        hammer(attacker, 1)

        agent.refresh_from_db()
        assert agent.second_factor_locked_until == START + LOCK_FOR
        assert AuditEvent.objects.filter(
            action=AuditEvent.Action.SECOND_FACTOR_LOCKED, actor_id=agent.pk
        ).exists()
        mails = [m for m in deliver_outbox(bank) if m.to == [agent.email]]
        assert len(mails) == 1 and "locked" in mails[0].subject
        connection.set_tenant(bank)

        # Long after any throttle would have passed, the right code still opens nothing.
        clock.shift(LOCK_FOR - timedelta(minutes=1))
        response = attacker.post(VERIFY, {"code": current_code()})
        assert "locked" in response.content.decode()
        assert not is_verified(attacker)
        assert request_tokens(bank, agent.email, otp=current_code()).status_code == 401
        password_again = tenant_client(bank)
        password_again.post("/accounts/login/", {"login": agent.email, "password": PASSWORD})
        assert "_auth_user_id" not in password_again.session

        # Once the period is over, the owner's right code works again.
        clock.shift(timedelta(minutes=2))
        connection.set_tenant(bank)
        attacker.post(VERIFY, {"code": current_code()})
        assert is_verified(attacker)


def test_every_failure_counts_even_while_the_device_throttles(bank: Tenant, agent: User) -> None:
    """Thirty wrong codes in three seconds: django-otp refuses most unchecked, but each counts."""
    with time_machine.travel(START, tick=False) as clock:
        attacker = sign_in(tenant_client(bank), agent, second_factor=False)
        for _ in range(3):
            hammer(attacker, 10)
            clock.shift(timedelta(seconds=1))
        agent.refresh_from_db()
        assert agent.second_factor_locked_until is not None
        assert (
            AuditEvent.objects.filter(
                action=AuditEvent.Action.SECOND_FACTOR_FAILED, actor_id=agent.pk
            ).count()
            == 30
        )
        attacker.post(VERIFY, {"code": current_code()})
        assert not is_verified(attacker)


def test_api_token_attempts_count_towards_the_same_lock(bank: Tenant, agent: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(LOCK_AFTER_FAILURES):
            # Slower than the token endpoint's own rate limit, which would answer 429.
            clock.shift(timedelta(seconds=7))
            assert request_tokens(bank, agent.email, otp=wrong(current_code())).status_code == 401
        clock.shift(timedelta(seconds=7))
        response = request_tokens(bank, agent.email, otp=current_code())

        assert response.status_code == 401
        assert "locked" in response.json()["detail"]


def test_a_right_code_resets_the_count(bank: Tenant, agent: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = sign_in(tenant_client(bank), agent, second_factor=False)
        hammer(client, LOCK_AFTER_FAILURES - 1)
        clock.shift(timedelta(minutes=10))
        client.post(VERIFY, {"code": current_code()})
        assert is_verified(client)
        agent.refresh_from_db()
        assert agent.second_factor_failures == 0


def test_an_admin_unlocks_a_locked_staff_member(
    bank: Tenant, agent: User, admin_client: Client
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        attacker = sign_in(tenant_client(bank), agent, second_factor=False)
        hammer(attacker, LOCK_AFTER_FAILURES)
        page = admin_client.get(f"/settings/staff/{agent.pk}/")
        assert "Unlock sign-in" in page.content.decode()

        response = admin_client.post(f"/settings/staff/{agent.pk}/security/unlock/")

        assert response.status_code == 302
        agent.refresh_from_db()
        assert agent.second_factor_locked_until is None
        assert AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_UNLOCKED).exists()
        clock.shift(timedelta(seconds=30))
        owner = sign_in(tenant_client(bank), agent, second_factor=False)
        owner.post(VERIFY, {"code": current_code()})
        assert is_verified(owner)


def test_agents_cannot_unlock(
    bank: Tenant, agent: User, manager: User, agent_client: Client
) -> None:
    manager.second_factor_locked_until = START + LOCK_FOR
    manager.save(update_fields=["second_factor_locked_until"])

    response = agent_client.post(f"/settings/staff/{manager.pk}/security/unlock/")

    assert response.status_code == 403
    manager.refresh_from_db()
    assert manager.second_factor_locked_until is not None
