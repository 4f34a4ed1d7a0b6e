"""accounts.services.close_account: the person part of closing, and the records hook."""

from __future__ import annotations

import pytest

from accounts.models import User
from accounts.services import AccountError, close_account
from audit.models import AuditEvent


def refuse(user: User) -> dict[str, object]:
    raise AccountError("Records say no.")


def test_closing_anonymises_and_records_what_the_hook_kept(consumer: User) -> None:
    seen: list[bool] = []

    def keep(locked: User) -> dict[str, object]:
        seen.append(locked.pk == consumer.pk and locked.is_active)
        return {"letters_kept": 3}

    close_account(consumer, actor=consumer, keep_records=keep)

    user = User.objects.get(pk=consumer.pk)
    assert seen == [True]
    assert not user.is_active and user.email == f"closed-{consumer.pk}@closed.invalid"
    (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CLOSED)
    assert event.detail == {"letters_kept": 3}


def test_a_refusing_hook_leaves_the_account_and_the_log_untouched(consumer: User) -> None:
    with pytest.raises(AccountError, match="Records say no"):
        close_account(consumer, actor=consumer, keep_records=refuse)

    user = User.objects.get(pk=consumer.pk)
    assert user.is_active and user.email == consumer.email and user.has_usable_password()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CLOSED).exists()


def test_an_account_closes_only_once(consumer: User) -> None:
    close_account(consumer, actor=consumer)
    with pytest.raises(AccountError, match="already closed"):
        close_account(User.objects.get(pk=consumer.pk), actor=consumer)


def test_staff_and_other_people_cannot_close_an_account(
    consumer: User, other_consumer: User, agent: User
) -> None:
    with pytest.raises(AccountError):
        close_account(agent, actor=agent)
    with pytest.raises(AccountError):
        close_account(consumer, actor=other_consumer)
    assert User.objects.get(pk=consumer.pk).is_active
