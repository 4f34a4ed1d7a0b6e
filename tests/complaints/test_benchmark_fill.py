"""The benchmark's loader fills a tenant through set-based SQL that must keep up with the
complaint table's columns (a generated column is the database's to write)."""

from __future__ import annotations

from django.core.management import call_command
from django_tenants.utils import tenant_context

from complaints.models import Complaint
from tenancy.models import Tenant


def test_the_loader_fills_a_small_tenant_with_every_column_written(public_tenant: Tenant) -> None:
    call_command("benchmark", complaints=140, consumers=20, tenant="benchtiny", fill_only=True)

    # Inside the test's transaction: the schema goes with its rollback.
    with tenant_context(Tenant.objects.get(slug="benchtiny")):
        assert Complaint.objects.count() == 140
        ranks = set(Complaint.objects.values_list("priority", "priority_rank").distinct())
        assert ranks == {("low", 0), ("normal", 1), ("high", 2), ("urgent", 3)}
