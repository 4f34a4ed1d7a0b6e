"""The queue's filter forms share their fields (``complaints.forms.SharedFields``): nothing a
page or the API does with a form may change a field or a widget, or the next person's form
(another tenant's, too) would show or accept what this one did."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from accounts.api import issue_tokens
from accounts.models import User
from complaints.api.views import ComplaintFilterForm
from complaints.forms import QueueFilterForm, SharedFields
from complaints.models import Category, Complaint, Team
from tenancy.models import Tenant

PLAIN = (str, int, float, bool, bytes, type(None), list, tuple, dict, set, frozenset)


def _state(thing: Any) -> dict[str, Any]:
    """What an object holds: plain values by value (deep copies), others by identity."""
    return {
        name: copy.deepcopy(value) if isinstance(value, PLAIN) else id(value)
        for name, value in vars(thing).items()
    }


def _snapshot(form_class: type[Any]) -> dict[str, Any]:
    return {
        name: (_state(field), _state(field.widget))
        for name, field in form_class.base_fields.items()
    }


@pytest.mark.parametrize("form_class", [QueueFilterForm, ComplaintFilterForm])
def test_a_form_shares_the_fields_but_not_the_list_of_them(form_class: type[Any]) -> None:
    assert isinstance(form_class.base_fields, SharedFields)
    first, second = form_class({}), form_class({"status": "open"})
    assert first.fields is not second.fields is not form_class.base_fields
    assert first.fields["status"] is second.fields["status"] is form_class.base_fields["status"]
    del first.fields["status"]
    assert "status" in second.fields and "status" in form_class.base_fields


def test_pages_and_the_api_leave_the_shared_fields_as_they_were(
    bank: Tenant,
    manager_client: Client,
    agent_client: Client,
    manager: User,
    consumer: User,
    complaint: Complaint,
    category: Category,
    front_line: Team,
    agent: User,
) -> None:
    # A first page works out what the fields remember once (which list a choice field shows).
    manager_client.get("/console/")
    before = {form: _snapshot(form) for form in (QueueFilterForm, ComplaintFilterForm)}
    queries = [
        "",
        "?status=all&sort=-received",
        f"?category={category.pk}&team={front_line.pk}&assignee={agent.pk}",
        "?q=payment&priority=high&channel=email&rating=3&responded=no",
        "?received_from=2026-01-01&received_to=2025-01-01",  # refused: the range is empty
        "?status=nonsense&category=999999&assignee=²&age_min=-1",  # refused values
        "?view=unassigned&saved=1",
    ]
    for client in (manager_client, agent_client):
        for query in queries:
            assert client.get(f"/console/{query}").status_code == 200
            assert client.get(f"/console/{query}", HTTP_HX_REQUEST="true").status_code == 200
    for person, query, status in (
        (manager, "?status=closed&sort=received", 200),
        (manager, f"?category={category.pk}&assignee={agent.pk}", 200),
        (manager, "?status=nonsense", 400),
        (manager, "?q=the", 400),
        (consumer, "?status=open", 200),
    ):
        token = issue_tokens(person, second_factor=person.is_staff_member)["access"]
        api = Client(HTTP_HOST=bank.host, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.get(f"/api/v1/complaints/{query}").status_code == status, query

    after = {form: _snapshot(form) for form in (QueueFilterForm, ComplaintFilterForm)}
    changed = [
        (form.__name__, name, part, attribute)
        for form, fields in before.items()
        for name, states in fields.items()
        for part, state in zip(("field", "widget"), states, strict=True)
        for attribute in state.keys() | after[form][name][["field", "widget"].index(part)].keys()
        if state.get(attribute) != after[form][name][["field", "widget"].index(part)].get(attribute)
    ]
    assert changed == []


@pytest.mark.parametrize("digits", ["\uff13", "\u0663", "\U0001d7d1"])
def test_a_row_id_in_other_digits_is_refused_not_read_as_a_number(
    bank: Tenant, manager_client: Client, manager: User, category: Category, digits: str
) -> None:
    for name in ("category", "team", "root_cause"):
        page = manager_client.get("/console/", {name: digits}).content.decode()
        assert "Nothing listed: correct the filters." in page, name
    token = issue_tokens(manager, second_factor=True)["access"]
    api = Client(HTTP_HOST=bank.host, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/complaints/", {"category": digits}).status_code == 400
