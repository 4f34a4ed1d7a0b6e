from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context, tenant_context

from complaints.services import auto_close_resolved, scan_deadlines
from integrations import webhooks
from outbox.services import deliver_due
from tenancy import current
from tenancy.models import Tenant


class Command(BaseCommand):
    help = (
        "Run the periodic work (deadline scan, auto-close, outbox, webhooks) for every active "
        "tenant, and deliver the platform's own e-mails."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for tenant in Tenant.objects.customers().filter(status=Tenant.Status.ACTIVE):
            with tenant_context(tenant), current.local_time():
                deadlines = scan_deadlines()
                closed = auto_close_resolved()
                sent = deliver_due()
                posted = webhooks.deliver_due()
            self.stdout.write(
                f"{tenant.slug}: {deadlines['at_risk']} at risk, {deadlines['breached']} breached, "
                f"{deadlines['letters']} letters, {closed} closed, {sent} e-mails sent, "
                f"{posted} webhooks delivered"
            )
        with schema_context("public"):
            self.stdout.write(f"platform: {deliver_due()} e-mails sent")
