"""Recount the report rollups of every tenant (or one) from its complaints and deadlines."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from reports.models import DailyCount, SettledDeadlineCount
from reports.rollups import rebuild_counts
from reports.settled import rebuild_settled_counts
from tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Recount the report rollups (daily counts, settled deadlines) from the complaints and "
        "their deadlines."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--tenant", help="slug of one tenant; every tenant without it")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by("slug")
        if options["tenant"]:
            tenants = tenants.filter(slug=options["tenant"])
            if not tenants.exists():
                raise CommandError(f"No tenant has the slug {options['tenant']!r}.")
        for tenant in tenants:
            with tenant_context(tenant):
                rows = rebuild_counts()
                settled = rebuild_settled_counts()
                # Every row was rewritten: fresh statistics now, not when autovacuum comes
                # by (the report queries are planned for a few rows otherwise).
                with connection.cursor() as cursor:
                    for model in (DailyCount, SettledDeadlineCount):
                        cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
            self.stdout.write(
                f"{tenant.slug}: {rows} daily counts, {settled} settled-deadline counts"
            )
