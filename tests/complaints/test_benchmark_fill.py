"""The benchmark's loader fills a tenant through set-based SQL that must keep up with the
complaint table's columns (a generated column is the database's to write)."""

from __future__ import annotations

import re
import socket

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tenants.utils import tenant_context

from complaints.management.commands.benchmark import nearest_rank
from complaints.models import Complaint, Event
from deadlines.models import Deadline
from tenancy.models import Tenant


def test_the_loader_fills_a_small_tenant_with_every_column_written(public_tenant: Tenant) -> None:
    call_command("benchmark", complaints=140, consumers=20, tenant="benchtiny", fill_only=True)

    # Inside the test's transaction: the schema goes with its rollback.
    with tenant_context(Tenant.objects.get(slug="benchtiny")):
        assert Complaint.objects.count() == 140
        ranks = set(Complaint.objects.values_list("priority", "priority_rank").distinct())
        assert ranks == {("low", 0), ("normal", 1), ("high", 2), ("urgent", 3)}
        # Every complaint's timeline and clocks, as the services would have left them.
        assert Event.objects.filter(kind="submitted").count() == 140
        responded = Complaint.objects.filter(first_responded_at__isnull=False).count()
        assert Event.objects.filter(kind="reply").count() == responded
        assert Deadline.objects.count() == 3 * 140
        resolved = Complaint.objects.filter(resolved_at__isnull=False)
        assert (
            Deadline.objects.filter(clock="final_response", met_at__isnull=False).count()
            == resolved.count()
        )

    # A second load adds what is missing and repeats nothing.
    call_command("benchmark", complaints=150, consumers=20, tenant="benchtiny", fill_only=True)
    with tenant_context(Tenant.objects.get(slug="benchtiny")):
        assert Event.objects.filter(kind="submitted").count() == 150
        assert Deadline.objects.count() == 3 * 150


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--runs", "0"], "--runs: must be at least 1, not 0"),
        (["--runs", "-3"], "--runs: must be at least 1, not -3"),
        (["--consumers", "0"], "--consumers: must be at least 1, not 0"),
        (["--complaints", "-5"], "--complaints: must be at least 1, not -5"),
        (["--complaints", "many"], "--complaints: not a whole number: 'many'"),
        (["--memory-requests", "-1"], "--memory-requests: must be at least 0, not -1"),
        (["--throughput-seconds", "0"], "--throughput-seconds: must be more than 0 seconds"),
        (["--throughput-seconds", "nan"], "--throughput-seconds: must be more than 0 seconds"),
        (["--port", "80"], "--port: must be at least 1024, not 80"),
        (["--port", "65535"], "--port: must be at most 65534"),
    ],
)
def test_arguments_out_of_range_are_refused_before_anything_is_loaded(
    public_tenant: Tenant, arguments: list[str], error: str
) -> None:
    with pytest.raises(CommandError, match=re.escape(error)):
        call_command("benchmark", *arguments, "--tenant", "benchargs")

    assert not Tenant.objects.filter(slug="benchargs").exists()


@pytest.mark.parametrize("slug", ["Bad Slug!", "BENCH", "x", "www", "a--b"])
def test_a_slug_no_tenant_could_have_is_refused(public_tenant: Tenant, slug: str) -> None:
    with pytest.raises(CommandError, match="--tenant"):
        call_command("benchmark", complaints=10, consumers=5, tenant=slug, fill_only=True)

    assert not Tenant.objects.filter(slug=slug).exists()


def test_a_busy_port_is_refused_before_anything_is_loaded(public_tenant: Tenant) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(CommandError, match=f"Port {port} is in use"):
            call_command("benchmark", complaints=10, tenant="benchport", port=port)

    assert not Tenant.objects.filter(slug="benchport").exists()


def test_p95_is_the_nearest_rank() -> None:
    assert nearest_rank([float(n) for n in range(1, 31)], 95) == 29.0
    assert nearest_rank([float(n) for n in range(10, 0, -1)], 95) == 10.0
    assert nearest_rank([7.0], 95) == 7.0


def test_rebuilding_the_report_counts_of_a_tenant_that_does_not_exist_is_an_error(
    public_tenant: Tenant,
) -> None:
    with pytest.raises(CommandError, match="No tenant has the slug 'nosuch'"):
        call_command("rebuild_report_counts", tenant="nosuch")
