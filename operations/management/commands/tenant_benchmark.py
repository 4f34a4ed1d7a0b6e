"""Time creating and migrating many tenants: the figures behind README's *Tenants at scale*.

    python manage.py tenant_benchmark --tenants 200 --processes 2 --json tenants.json

1. Creates ``--tenants`` tenants (``bench-t-N``: schema cloned from the template, domain), one
   after another as the console's worker does, timing each.
2. Adds a small migration (an index on complaints, in a module written for the run and removed
   after it) and migrates those tenants' schemas with django-tenants' multiprocessing executor
   and ``--processes`` processes, timing each schema.
3. Drops the benchmark tenants and their schemas again (``--keep`` leaves them).

Only the benchmark's schemas are migrated: the template and real tenants never see the probe
migration. Prints p50, p95 and total seconds of each phase, the machine's load average, and
what 10,000 tenants would take at the measured rate; ``--json`` writes the same as JSON.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor
from django_tenants.signals import schema_migrated, schema_pre_migration

from tenancy.models import Domain, Tenant
from tenancy.template import template_exists

PREFIX = "bench-t-"
PROBE_APP = "complaints"
PROBE_NAME = "9999_tenant_benchmark_probe"
TARGET = 10_000

PROBE_MIGRATION = """
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [{dependencies}]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX tenant_benchmark_probe ON complaints_complaint (closed_at, id)",
            "DROP INDEX tenant_benchmark_probe",
        )
    ]
"""


def summary(values: list[float]) -> dict[str, float]:
    """p50, p95 and total of ``values`` (seconds), and how many."""
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 3),
        "total": round(sum(ordered), 1),
    }


class Command(BaseCommand):
    help = "Create and migrate many tenants, and report per-tenant times."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenants", type=int, default=200)
        parser.add_argument("--processes", type=int, default=2, help="migration processes")
        parser.add_argument("--json", help="write the figures to this file")
        parser.add_argument("--keep", action="store_true", help="keep the benchmark tenants")

    def handle(self, *args: Any, **options: Any) -> None:
        count, processes = options["tenants"], options["processes"]
        if count < 1 or processes < 1:
            raise CommandError("--tenants and --processes must be at least 1.")
        if not template_exists():
            raise CommandError("No template schema: run `manage.py migrate_schemas` first.")
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        self.drop_benchmark_tenants()
        try:
            created = self.create(count)
            migrated, wall = self.migrate([schema for schema, _ in created], processes)
        finally:
            if not options["keep"]:
                self.drop_benchmark_tenants()
        results = {
            "tenants": count,
            "processes": processes,
            "load_average": [round(load, 2) for load in os.getloadavg()],
            "create": summary([seconds for _, seconds in created]),
            "migrate": {**summary(migrated), "wall": round(wall, 1)},
        }
        create_rate = results["create"]["total"] / count
        migrate_rate = wall / count
        results["extrapolated_to_10000_seconds"] = {
            "create_one_worker": round(create_rate * TARGET),
            "migrate": round(migrate_rate * TARGET),
        }
        self.report(results)
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(results, indent=2) + "\n")

    def create(self, count: int) -> list[tuple[str, float]]:
        self.stdout.write(f"Creating {count} tenants...")
        timings = []
        for number in range(1, count + 1):
            slug = f"{PREFIX}{number}"
            started = time.perf_counter()
            tenant = Tenant(schema_name="t_" + slug.replace("-", "_"), slug=slug, name=slug)
            tenant.save(verbosity=0)
            Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)
            timings.append((tenant.schema_name, time.perf_counter() - started))
            if number % 50 == 0:
                self.stdout.write(f"  {number} created")
        return timings

    def migrate(self, schemas: list[str], processes: int) -> tuple[list[float], float]:
        """Apply the probe migration to ``schemas``; per-schema seconds and the wall time."""
        self.stdout.write(f"Migrating {len(schemas)} schemas with {processes} processes...")
        folder = Path(apps.get_app_config(PROBE_APP).path) / "migrations"
        leaf = MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes(PROBE_APP)
        probe = folder / f"{PROBE_NAME}.py"
        probe.write_text(PROBE_MIGRATION.format(dependencies=", ".join(map(repr, leaf))))
        with tempfile.NamedTemporaryFile("r", suffix=".log") as log:
            started_at: dict[str, float] = {}

            def started(schema_name: str, **kwargs: Any) -> None:
                started_at[schema_name] = time.perf_counter()

            def finished(schema_name: str, **kwargs: Any) -> None:
                # Runs in the pool's processes: each appends its own line.
                with open(log.name, "a") as out:
                    out.write(f"{time.perf_counter() - started_at[schema_name]}\n")

            schema_pre_migration.connect(started, weak=False)
            schema_migrated.connect(finished, weak=False)
            try:
                with self.settings_for_pool(processes):
                    executor = get_executor("multiprocessing")((), self.migrate_options())
                    wall_started = time.perf_counter()
                    executor.run_migrations(tenants=list(schemas))
                    wall = time.perf_counter() - wall_started
            finally:
                schema_pre_migration.disconnect(started)
                schema_migrated.disconnect(finished)
                probe.unlink()
            timings = [float(line) for line in Path(log.name).read_text().split()]
        connection.set_schema_to_public()  # type: ignore[attr-defined]
        return timings, wall

    def migrate_options(self) -> dict[str, Any]:
        """migrate_schemas' options with their defaults, quiet and without prompts."""
        parser = MigrateSchemasCommand().create_parser("manage.py", "migrate_schemas")
        return {**vars(parser.parse_args([])), "verbosity": 0, "interactive": False}

    def settings_for_pool(self, processes: int) -> Any:
        from django.test.utils import override_settings

        return override_settings(TENANT_MULTIPROCESSING_MAX_PROCESSES=processes)

    def drop_benchmark_tenants(self) -> None:
        for tenant in Tenant.objects.filter(slug__startswith=PREFIX):
            Domain.objects.filter(tenant=tenant).delete()
            tenant.delete(force_drop=True)

    def report(self, results: dict[str, Any]) -> None:
        self.stdout.write(f"\n{'seconds per tenant':<28} {'p50':>7} {'p95':>7} {'total':>8}")
        for phase in ("create", "migrate"):
            row = results[phase]
            self.stdout.write(f"{phase:<28} {row['p50']:>7} {row['p95']:>7} {row['total']:>8}")
        extrapolated = results["extrapolated_to_10000_seconds"]
        self.stdout.write(
            f"migrate wall time {results['migrate']['wall']} s with "
            f"{results['processes']} processes; load average {results['load_average']}\n"
            f"10,000 tenants: create {extrapolated['create_one_worker'] / 60:.0f} min "
            f"(one worker), migrate {extrapolated['migrate'] / 60:.0f} min"
        )
