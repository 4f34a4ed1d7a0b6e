from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from operations.services import (
    ProvisioningError,
    TenantRequest,
    provision_tenant,
    set_tenant_status,
)
from operations.starters import STARTERS
from tenancy.models import Industry, RegulatoryProfile, Tenant


class Command(BaseCommand):
    help = "List, create, suspend and resume tenants."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="List tenants with their status.")
        create = actions.add_parser("create", help="Provision a tenant and invite its admin.")
        create.add_argument("--name", required=True)
        create.add_argument("--slug", required=True)
        create.add_argument("--admin-email", required=True)
        create.add_argument(
            "--profile", choices=RegulatoryProfile.values, default=RegulatoryProfile.GENERIC
        )
        create.add_argument("--industry", choices=Industry.values, default=Industry.OTHER)
        create.add_argument(
            "--starter",
            choices=list(STARTERS),
            default="",
            help="Industry starter: categories, teams, SLA targets, canned responses, letters.",
        )
        create.add_argument("--country", default="GB")
        create.add_argument("--time-zone", default="Europe/London")
        for action in ("suspend", "resume"):
            sub = actions.add_parser(action, help=f"{action.capitalize()} a tenant.")
            sub.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            for tenant in Tenant.objects.customers():
                self.stdout.write(
                    f"{tenant.slug:<20} {tenant.status:<10} {tenant.regulatory_profile:<15} "
                    f"{tenant.base_url}  {tenant.name}"
                )
            return
        if action == "create":
            try:
                tenant, token = provision_tenant(
                    TenantRequest(
                        name=options["name"],
                        slug=options["slug"],
                        regulatory_profile=options["profile"],
                        industry=options["industry"],
                        country=options["country"],
                        time_zone=options["time_zone"],
                        admin_email=options["admin_email"],
                        starter=options["starter"],
                    ),
                    actor=None,
                )
            except ProvisioningError as error:
                raise CommandError(str(error)) from error
            self.stdout.write(self.style.SUCCESS(f"Created {tenant.name} at {tenant.base_url}"))
            self.stdout.write(f"Admin invitation: {tenant.base_url}/invitations/{token}/")
            return
        target = Tenant.objects.customers().filter(slug=options["slug"]).first()
        if target is None:
            raise CommandError(f"No tenant with the address “{options['slug']}”.")
        status = Tenant.Status.SUSPENDED if action == "suspend" else Tenant.Status.ACTIVE
        set_tenant_status(target, status, actor=None)
        self.stdout.write(self.style.SUCCESS(f"{target.name} is now {target.status}."))
