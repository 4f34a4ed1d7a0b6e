"""Intake reads the tenant's configuration from its cache: a change is seen by the very next
request, a change rolled back never is, and one tenant's entries never serve another."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import models, transaction
from django.test import Client

from complaints.models import (
    Category,
    Complaint,
    LetterKind,
    LetterTemplate,
    Team,
    active_categories,
    own_letter_wording,
)
from configuration.cache import TenantCached, forget_pending_changes
from configuration.models import STORED_SETTINGS, TenantSettings
from deadlines.models import Closure, SlaPolicy
from deadlines.services import tenant_calendar
from organisation.services import (
    add_closure,
    save_sla_policy,
    set_active,
    update_complaint_policy,
)
from outbox.models import Message
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, post_json
from tests.conftest import tenant_client

NEW_COMPLAINT = {
    "subject": "Overdraft fee charged in error",
    "description": "I was charged £25 although I never went overdrawn.",
}

WORDING = "We have your complaint {reference} and will answer by {final_response_due}.\n"


def create(client: Client, **fields: Any) -> Complaint:
    response = post_json(client, COMPLAINTS_URL, {**NEW_COMPLAINT, **fields})
    assert response.status_code == 201, response.content
    return Complaint.objects.get(reference=response.json()["reference"])


def acknowledgement_subject(complaint: Complaint) -> str:
    (message,) = Message.objects.filter(subject__contains=complaint.reference)
    return message.subject


# --- a change is seen by the next request ---------------------------------------------------


def test_new_letter_wording_acknowledges_the_next_complaint(consumer_api: Client) -> None:
    first = create(consumer_api)
    LetterTemplate.objects.create(
        kind=LetterKind.ACKNOWLEDGEMENT,
        subject="Complaint {reference} is with us",
        body=WORDING,
    )

    second = create(consumer_api)

    assert acknowledgement_subject(first) != f"Complaint {first.reference} is with us"
    assert acknowledgement_subject(second) == f"Complaint {second.reference} is with us"


def test_a_category_taken_out_of_use_is_refused_by_the_next_request(
    consumer_api: Client, category: Category
) -> None:
    assert create(consumer_api, category_id=category.pk).category == category

    set_active(category, False, actor=None)
    response = post_json(
        consumer_api, COMPLAINTS_URL, {**NEW_COMPLAINT, "category_id": category.pk}
    )

    assert response.status_code == 400
    assert "category_id" in response.json()["detail"]


def test_a_new_default_team_gets_the_next_complaint(consumer_api: Client, bank: Tenant) -> None:
    assert create(consumer_api).team is None
    mortgages = Team.objects.create(name="Mortgages")

    update_complaint_policy(TenantSettings.editable(), actor=None, default_team=mortgages)

    assert create(consumer_api).team == mortgages


def test_a_category_moved_to_another_team_routes_the_next_complaint(
    consumer_api: Client, category: Category
) -> None:
    assert create(consumer_api, category_id=category.pk).team is None
    category.team = Team.objects.create(name="Fees")
    category.save(update_fields=["team"])

    assert create(consumer_api, category_id=category.pk).team == category.team


def test_closures_and_sla_targets_are_seen_at_once_after_a_change(bank: Tenant) -> None:
    christmas_eve = date(2026, 12, 24)
    assert christmas_eve not in tenant_calendar().holidays
    before = SlaPolicy.for_priority("normal")
    policy = SlaPolicy.objects.filter(priority="normal").first() or SlaPolicy(priority="normal")
    policy.first_response_hours, policy.resolution_hours = 7, 40
    assert before is None or before.first_response_hours != 7

    add_closure(Closure(day=christmas_eve, name="Christmas Eve"), actor=None)
    save_sla_policy(policy, actor=None)

    for _ in ("in the changing transaction", "in the next request"):
        assert christmas_eve in tenant_calendar().holidays
        after = SlaPolicy.for_priority("normal")
        assert after is not None
        assert after.first_response_hours == 7
        forget_pending_changes()  # the change is committed; a new request starts so


def test_a_saved_setting_is_seen_by_the_next_request(bank: Tenant) -> None:
    client = tenant_client(bank)
    client.get("/")
    settings = TenantSettings.editable()
    settings.display_name = "Northwind Bank plc"
    settings.save(update_fields=["display_name"])

    assert b"Northwind Bank plc" in client.get("/").content


def test_a_change_rolled_back_never_reaches_the_cache(bank: Tenant) -> None:
    client = tenant_client(bank)
    client.get("/")
    with pytest.raises(RuntimeError), transaction.atomic():
        settings = TenantSettings.editable()
        settings.display_name = "Never saved"
        settings.save(update_fields=["display_name"])
        # Read inside the change (a task run inline, say): from the database, never kept.
        assert STORED_SETTINGS.get().display_name == "Never saved"
        raise RuntimeError

    assert b"Never saved" not in client.get("/").content


# --- never from one tenant to another ---------------------------------------------------------


def plain(value: Any) -> Any:
    """A cached value as plain data: model instances by their fields (their ``==`` compares
    only their ids, which tenants share)."""
    if isinstance(value, models.Model):
        return tuple(
            (field.attname, plain(getattr(value, field.attname)))
            for field in value._meta.concrete_fields
        )
    if isinstance(value, dict):
        return sorted((str(key), plain(item)) for key, item in value.items())
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


def test_one_tenants_cached_configuration_never_serves_another(
    consumer_api: Client,
    category: Category,
    bank: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    LetterTemplate.objects.create(
        kind=LetterKind.ACKNOWLEDGEMENT, subject="Bank: {reference}", body=WORDING
    )
    Closure.objects.create(day=date(2026, 12, 24), name="Christmas Eve")
    SlaPolicy.objects.create(priority="normal", first_response_hours=8, resolution_hours=40)
    settings = TenantSettings.editable()
    settings.display_name = "Northwind Bank plc"
    update_complaint_policy(settings, actor=None, default_team=Team.objects.create(name="Bank"))
    create(consumer_api, category_id=category.pk)  # fills the bank's entries
    assert own_letter_wording() and active_categories()
    telco = Tenant.objects.get(slug="telco")

    activate(telco)

    for cached in TenantCached.every:
        assert plain(cached.get()) == plain(cached.load()), cached.name
    assert own_letter_wording() == {}
    assert Team.default() is None
    assert TenantSettings.current().display_name != "Northwind Bank plc"
