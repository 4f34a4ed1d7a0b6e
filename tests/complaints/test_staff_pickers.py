"""Staff pickers: one cached, tenant-scoped staff list, rendered once per request."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.directory import staff_options
from accounts.models import Role, User
from complaints.models import Complaint
from tenancy.models import Tenant

ASSIGNEE_OPTIONS = re.compile(r'<select[^>]* name="assignee"[^>]*>(.*?)</select>', re.S)


def staff_reads(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured if '"accounts_user"."role" IN' in q["sql"]]


def test_the_staff_list_is_read_once_for_every_picker_of_a_page(
    manager_client: Client, agent: User, manager: User
) -> None:
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        response = manager_client.get("/console/")
    pickers = ASSIGNEE_OPTIONS.findall(response.content.decode())
    assert len(pickers) == 2  # the filter and the bulk action
    for options in pickers:
        assert f'<option value="{agent.pk}">Alex Agent</option>' in options
        assert f'<option value="{manager.pk}">Morgan Manager</option>' in options
    assert len(staff_reads(cold)) == 1

    with CaptureQueriesContext(connection) as warm:
        manager_client.get("/console/")
    assert staff_reads(warm) == []


def test_the_chosen_assignee_is_selected_in_the_filter(manager_client: Client, agent: User) -> None:
    content = manager_client.get(f"/console/?assignee={agent.pk}").content.decode()
    assert f'<option value="{agent.pk}" selected>Alex Agent</option>' in content


def test_a_new_or_renamed_colleague_shows_at_once(
    manager_client: Client, make_user: Callable[..., User], agent: User
) -> None:
    manager_client.get("/console/")
    newcomer = make_user(Role.AGENT, "robin@example.com", full_name="Robin <b>New</b>")
    agent.full_name = "Alex Renamed"
    agent.save(update_fields=["full_name"])

    content = manager_client.get("/console/").content.decode()
    assert f'<option value="{newcomer.pk}">Robin &lt;b&gt;New&lt;/b&gt;</option>' in content
    assert "Alex Renamed" in content


def test_consumers_are_never_offered(manager_client: Client, consumer: User) -> None:
    content = manager_client.get("/console/").content.decode()
    assert f'value="{consumer.pk}"' not in content


def test_someone_deactivated_since_the_list_was_cached_cannot_be_chosen(
    manager_client: Client, complaint: Complaint, agent: User
) -> None:
    manager_client.get(f"/console/complaints/{complaint.reference}/")
    User.objects.filter(pk=agent.pk).update(is_active=False)  # no signal: the cache is stale

    response = manager_client.post(
        f"/console/complaints/{complaint.reference}/assign/", {"assignee": agent.pk}
    )
    assert b"Choose someone from the list." in response.content
    complaint.refresh_from_db()
    assert complaint.assignee_id is None


@pytest.mark.parametrize("value", ["abc", "999999"])
def test_an_assignee_that_is_not_staff_is_refused(
    manager_client: Client, complaint: Complaint, consumer: User, value: str
) -> None:
    for chosen in (value, str(consumer.pk)):
        manager_client.post(
            f"/console/complaints/{complaint.reference}/assign/", {"assignee": chosen}
        )
        complaint.refresh_from_db()
        assert complaint.assignee_id is None


def test_one_tenants_staff_never_appear_in_anothers_pickers(
    manager_client: Client, agent: User, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    manager_client.get("/console/")  # the bank's list is cached
    activate(telco)
    html = staff_options(("agent", "manager")).html
    assert "Alex Agent" not in html


def test_a_bulk_write_of_accounts_shows_at_once(manager_client: Client, agent: User) -> None:
    manager_client.get("/console/")

    User.objects.filter(pk=agent.pk).update(full_name="Alex Bulk")

    assert "Alex Bulk" in manager_client.get("/console/").content.decode()


def test_a_bulk_write_of_bookkeeping_keeps_the_cached_staff_list(
    manager_client: Client, agent: User
) -> None:
    manager_client.get("/console/")

    User.objects.filter(pk=agent.pk).update(second_factor_failures=1)

    with CaptureQueriesContext(connection) as warm:
        manager_client.get("/console/")
    assert staff_reads(warm) == []
