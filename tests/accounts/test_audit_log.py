"""The audit log is append-only in the database itself, in every schema.

Rows other tests committed (the race tests, the browser's live server) can never be deleted,
so each test counts only the events newer than those present when it began (``fresh``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet

from accounts.models import User
from audit.models import AuditEvent
from audit.services import record_event
from tenancy.models import Tenant

APPEND_ONLY = "append-only"


def newest_pk() -> int:
    """The id of the newest event in the current schema (0 when there is none)."""
    newest = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return newest or 0


@pytest.fixture
def fresh(bank: Tenant) -> Callable[[], QuerySet[AuditEvent]]:
    """The events recorded in the bank's schema since the test began."""
    mark = newest_pk()
    return lambda: AuditEvent.objects.filter(pk__gt=mark)


@pytest.fixture
def event(fresh: Callable[[], QuerySet[AuditEvent]]) -> AuditEvent:
    return record_event(AuditEvent.Action.SIGNED_IN, actor_email="casey@example.com")


def refused(statement: Callable[[], object]) -> str:
    """Run a statement that must fail, in a savepoint so the test transaction stays usable."""
    with pytest.raises(DatabaseError, match=APPEND_ONLY) as error, transaction.atomic():
        statement()
    return str(error.value)


def raw(sql: str, *params: object) -> Callable[[], None]:
    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    return run


def test_record_event_copies_the_actor_and_request_details(consumer: User, rf) -> None:
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="x" * 400)

    event = record_event(
        AuditEvent.Action.ROLE_CHANGED, actor=consumer, request=request, target="t" * 300, a=1
    )

    event.refresh_from_db()
    assert (event.actor_id, event.actor_email) == (consumer.pk, "casey@example.com")
    assert event.ip_address == "203.0.113.9"
    assert len(event.user_agent) == 300
    assert len(event.target) == 200
    assert event.detail == {"a": 1}


def test_events_survive_deleting_the_actor(
    consumer: User, fresh: Callable[[], QuerySet[AuditEvent]]
) -> None:
    record_event(AuditEvent.Action.SIGNED_IN, actor=consumer)

    consumer.delete()

    assert fresh().get().actor_email == "casey@example.com"


def test_orm_save_of_an_existing_event_is_refused(event: AuditEvent) -> None:
    event.actor_email = "someone.else@example.com"

    refused(event.save)

    event.refresh_from_db()
    assert event.actor_email == "casey@example.com"


def test_orm_queryset_update_is_refused(event: AuditEvent) -> None:
    message = refused(lambda: AuditEvent.objects.update(action=AuditEvent.Action.SIGNED_OUT))

    assert "UPDATE" in message
    event.refresh_from_db()
    assert event.action == AuditEvent.Action.SIGNED_IN


def test_orm_delete_is_refused(event: AuditEvent) -> None:
    message = refused(event.delete)

    assert "DELETE" in message
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_orm_queryset_delete_is_refused(
    event: AuditEvent, fresh: Callable[[], QuerySet[AuditEvent]]
) -> None:
    refused(AuditEvent.objects.all().delete)

    assert fresh().count() == 1


def test_raw_sql_update_is_refused(event: AuditEvent) -> None:
    refused(raw("UPDATE audit_auditevent SET actor_email = %s", "x@example.com"))

    event.refresh_from_db()
    assert event.actor_email == "casey@example.com"


def test_raw_sql_delete_is_refused(event: AuditEvent) -> None:
    refused(raw("DELETE FROM audit_auditevent WHERE id = %s", event.pk))

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_truncate_is_refused(
    event: AuditEvent, fresh: Callable[[], QuerySet[AuditEvent]]
) -> None:
    refused(raw("TRUNCATE audit_auditevent"))

    assert fresh().count() == 1


def test_appending_still_works_after_a_refused_change(
    event: AuditEvent, fresh: Callable[[], QuerySet[AuditEvent]]
) -> None:
    refused(event.delete)

    record_event(AuditEvent.Action.SIGNED_OUT, actor_email="casey@example.com")

    assert fresh().count() == 2


@pytest.mark.parametrize("schema", ["t_telco", "public"])
def test_audit_log_is_append_only_in_every_schema(
    bank: Tenant, activate: Callable[[Tenant], Tenant], schema: str
) -> None:
    if schema == "public":
        connection.set_schema_to_public()
    else:
        activate(Tenant.objects.get(schema_name=schema))
    event = record_event(AuditEvent.Action.TENANT_PROVISIONED, target=schema)

    refused(raw("UPDATE audit_auditevent SET target = 'changed'"))
    refused(raw("DELETE FROM audit_auditevent"))

    event.refresh_from_db()
    assert event.target == schema


def test_events_are_kept_per_tenant(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(telco)
    telco_mark = newest_pk()
    activate(bank)
    record_event(AuditEvent.Action.SIGNED_IN, actor_email="casey@example.com")

    activate(telco)

    assert not AuditEvent.objects.filter(pk__gt=telco_mark).exists()
