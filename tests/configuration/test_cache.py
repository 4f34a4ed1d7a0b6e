"""Cached configuration is forgotten by every write of its rows, bulk writes included."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from accounts.models import User
from complaints.models import DEFAULT_TEAM, Category, Team, active_categories
from configuration.cache import (
    ConfigurationQuerySet,
    TenantCached,
    forget_pending_changes,
    generations,
)
from configuration.models import TenantSettings
from tenancy import current
from tenancy.models import Tenant


def committed() -> None:
    """The set-up's rows stand committed, as another request's would: reads use the cache."""
    forget_pending_changes()


@pytest.fixture
def savings(bank: Tenant) -> Category:
    made = Category.objects.create(name="Savings")
    committed()
    assert made.pk in active_categories()  # now in the tenant's cache
    return made


def _update(category: Category) -> None:
    Category.objects.filter(pk=category.pk).update(is_active=False)


def _bulk_update(category: Category) -> None:
    category.is_active = False
    Category.objects.bulk_update([category], ["is_active"])


def _delete(category: Category) -> None:
    Category.objects.filter(pk=category.pk).delete()


@pytest.mark.parametrize("write", [_update, _bulk_update, _delete])
def test_a_bulk_write_forgets_the_cached_categories(
    savings: Category, write: Callable[[Category], None]
) -> None:
    write(savings)

    assert savings.pk not in active_categories()


def test_a_bulk_create_forgets_the_cached_categories(savings: Category) -> None:
    (made,) = Category.objects.bulk_create([Category(name="Mortgages")])

    assert made.pk in active_categories()


def test_a_bulk_update_forgets_again_when_it_commits(
    front_line: Team, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    Team.objects.filter(pk=front_line.pk).update(is_default=True)
    committed()
    assert Team.default() == front_line
    schema = current.schema_name()

    with django_capture_on_commit_callbacks(execute=True):
        Team.objects.filter(pk=front_line.pk).update(is_default=False)
        assert Team.default() is None  # this transaction reads its own change
        # Another request refills the entry from the row as it stood before the commit.
        stale = generations(schema)[DEFAULT_TEAM.name]
        cache.set(DEFAULT_TEAM.key(schema, stale), (time.time(), front_line))

    assert generations(schema)[DEFAULT_TEAM.name] != stale  # no one reads the refill
    assert Team.default() is None


def test_a_bulk_update_of_the_settings_row_is_read_at_once(bank: Tenant) -> None:
    assert TenantSettings.current().display_name != "Renamed in bulk"
    committed()

    TenantSettings.objects.update(display_name="Renamed in bulk")

    assert TenantSettings.current().display_name == "Renamed in bulk"


def test_moving_the_round_robin_pointer_keeps_the_cached_team(
    front_line: Team, agent: User
) -> None:
    Team.objects.filter(pk=front_line.pk).update(is_default=True)
    committed()
    assert Team.default() == front_line

    schema = current.schema_name()
    kept = generations(schema)[DEFAULT_TEAM.name]

    Team.objects.filter(pk=front_line.pk).update(last_assignee=agent)

    assert generations(schema)[DEFAULT_TEAM.name] == kept
    assert cache.get(DEFAULT_TEAM.key(schema, kept))[1] == front_line


def test_every_model_cached_configuration_is_built_from_forgets_it_on_bulk_writes() -> None:
    assert TenantCached.built_from
    for model in TenantCached.built_from:
        assert isinstance(model._default_manager.all(), ConfigurationQuerySet), model
