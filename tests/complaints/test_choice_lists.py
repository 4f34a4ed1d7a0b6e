"""Category, team and root-cause lists: read from a tenant-scoped cache, dropped on change."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from complaints.choices import CachedModelChoiceField, forget_read_choices
from complaints.forms import QueueFilterForm
from complaints.models import Category, Complaint, RootCause, Team
from configuration.cache import forget_pending_changes
from tenancy.models import Tenant
from tests.conftest import create_user, signed_in_next_door

FILTER = re.compile(r'<select name="(category|team)" id="id_filter_\1">(.*?)</select>', re.S)
RESOLVE_CAUSE = re.compile(r'<select name="root_cause"[^>]*>(.*?)</select>', re.S)


def filter_lists(client: Client) -> dict[str, str]:
    return dict(FILTER.findall(client.get("/console/").content.decode()))


def list_reads(captured: CaptureQueriesContext) -> list[str]:
    tables = ("complaints_category", "complaints_team", "complaints_rootcause")
    return [q["sql"] for q in captured if any(f'FROM "{t}"' in q["sql"] for t in tables)]


def test_the_lists_are_read_once_then_served_from_the_cache(
    manager_client: Client, category: Category, front_line: Team
) -> None:
    with CaptureQueriesContext(connection) as cold:
        lists = filter_lists(manager_client)
    assert len(list_reads(cold)) == 2
    assert f'<option value="{category.pk}">{category}</option>' in lists["category"]
    assert f'<option value="{front_line.pk}">Front line</option>' in lists["team"]

    with CaptureQueriesContext(connection) as warm:
        assert filter_lists(manager_client) == lists
    assert list_reads(warm) == []


def test_a_change_to_a_row_shows_at_once(
    manager_client: Client, category: Category, front_line: Team, complaint: Complaint
) -> None:
    page = f"/console/complaints/{complaint.reference}/"

    def causes() -> str:
        return "".join(RESOLVE_CAUSE.findall(manager_client.get(page).content.decode()))

    filter_lists(manager_client)
    causes()
    front_line.name = "Front <line>"
    front_line.save()
    Category.objects.create(name="Mortgages")
    cause = RootCause.objects.create(name="Training")

    lists = filter_lists(manager_client)
    assert f'<option value="{front_line.pk}">Front &lt;line&gt;</option>' in lists["team"]
    assert "Mortgages" in lists["category"]
    assert f'<option value="{cause.pk}">Training</option>' in causes()

    cause.delete()
    assert "Training" not in causes()


def test_the_chosen_value_is_checked_in_the_database(
    manager_client: Client, complaint: Complaint, front_line: Team
) -> None:
    filter_lists(manager_client)  # cached with the team in it
    gone = front_line.pk
    Team.objects.filter(pk=gone).update(name="Renamed quietly")  # no signal: cache unchanged
    Complaint.objects.filter(team_id=gone).update(team=None)
    Team.objects.filter(pk=gone).delete()

    response = manager_client.get(f"/console/?team={gone}")
    content = response.content.decode()
    assert response.status_code == 200
    # The filter that names a team no longer there is refused, not trusted from the list.
    assert "Team: Select a valid choice." in content
    assert complaint.reference not in content


def test_a_list_cached_by_one_tenant_is_never_shown_on_another(
    bank: Tenant, manager: User, manager_client: Client, front_line: Team
) -> None:
    Category.objects.create(name="Bank-only savings")
    bank_lists = filter_lists(manager_client)  # cached for the bank
    assert "Bank-only savings" in bank_lists["category"]

    telco = Tenant.objects.get(slug="telco")
    connection.set_tenant(telco)
    Team.objects.create(name="Telco line")
    telco_manager = create_user(Role.MANAGER, "telco-manager@example.com")
    connection.set_tenant(bank)
    telco_client = signed_in_next_door(bank, telco_manager)

    telco_lists = filter_lists(telco_client)
    assert "Bank-only savings" not in telco_lists["category"]
    assert "Front line" not in telco_lists["team"]
    assert "Telco line" in telco_lists["team"]
    # Same ids on both sides cannot mix either: each tenant reads its own schema's rows.
    assert telco_lists != bank_lists
    assert "Bank-only savings" in filter_lists(manager_client)["category"]


def test_a_change_rolled_back_never_reaches_the_lists(
    manager_client: Client, category: Category
) -> None:
    filter_lists(manager_client)  # the lists are cached
    forget_pending_changes()

    with pytest.raises(RuntimeError), transaction.atomic():
        Category.objects.create(name="Never saved")
        # Read inside the change (a task's form, say): from the database, and never kept.
        shown = [label for _value, label in QueueFilterForm().fields["category"].choices]
        assert any("Never saved" in str(label) for label in shown)
        raise RuntimeError

    forget_pending_changes()  # the next request
    assert "Never saved" not in filter_lists(manager_client)["category"]


def test_a_list_read_while_a_change_commits_is_not_kept_as_the_changed_list(
    bank: Tenant, category: Category
) -> None:
    class RacingField(CachedModelChoiceField):
        """Reads the rows as another request renames one and commits (once)."""

        raced = False

        def _read_rows(self) -> list[tuple[Any, str]]:
            rows = super()._read_rows()
            if not RacingField.raced:
                RacingField.raced = True
                Category.objects.filter(pk=category.pk).update(name="Renamed meanwhile")
                # The change is committed, and this request reads the generations again.
                forget_pending_changes()
            return rows

    def labels() -> list[str]:
        forget_read_choices()  # a new request
        return [label for _, label in RacingField(Category.objects.all()).choices]

    forget_pending_changes()
    assert str(category) in labels()  # read before the change was committed

    assert any(label.endswith("Renamed meanwhile") for label in labels())
