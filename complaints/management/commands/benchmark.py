"""Fill a benchmark tenant with many complaints and time the busiest pages and API calls.

    python manage.py benchmark --complaints 1000000

The data is made with set-based SQL (generate_series), so a million complaints take about a
minute; pages are then requested through Django's test client (server-side time: middleware,
queries and templates, without network) and timed over repeated runs.
"""

from __future__ import annotations

import statistics
import time
from argparse import ArgumentParser
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models
from django.test import Client
from django.test.utils import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context

from accounts.api import issue_tokens
from accounts.models import Role, User
from complaints.models import ACTIVE_STATUSES, Complaint, Team
from tenancy.models import Domain, RegulatoryProfile, Tenant

SLUG = "bench"
STATUSES = ["new", "open", "awaiting_consumer", "resolved", "closed", "closed", "closed"]
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]"


def _column_values(model: type[models.Model], explicit: dict[str, str]) -> tuple[str, str]:
    """Column names and SELECT expressions: explicit ones, else NULL or the field default."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in explicit:
            expressions.append(explicit[field.column])
        elif field.null:
            expressions.append("NULL")
        elif field.has_default() or field.empty_strings_allowed:
            expressions.append(_literal(field.get_db_prep_save(field.get_default(), connection)))
        else:
            raise CommandError(f"{model.__name__}.{field.name} needs a benchmark value.")
    return ", ".join(columns), ", ".join(expressions)


def _literal(value: Any) -> str:
    with connection.cursor() as cursor:
        return cursor.mogrify("%s", [value])  # type: ignore[attr-defined,no-any-return]


class Command(BaseCommand):
    help = "Fill a benchmark tenant with complaints and time the busiest pages."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--complaints", type=int, default=1_000_000)
        parser.add_argument("--consumers", type=int, default=200_000)
        parser.add_argument("--runs", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The benchmark fills a tenant with fake data; not in production.")
        tenant = Tenant.objects.filter(slug=SLUG).first()
        if tenant is None:
            self.stdout.write("Creating the benchmark tenant…")
            tenant = Tenant(
                schema_name=f"t_{SLUG}",
                slug=SLUG,
                name="Benchmark Bank",
                regulatory_profile=RegulatoryProfile.UK_FCA,
            )
            tenant.save(verbosity=0)
            Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)
        with tenant_context(tenant):
            agent, consumer = self.fill(options["complaints"], options["consumers"])
            self.measure(tenant, agent, consumer, options["runs"])

    def fill(self, complaints: int, consumers: int) -> tuple[User, User]:
        team, _ = Team.objects.get_or_create(name="Front line")
        agent = User.objects.filter(email="agent@bench.example").first()
        if agent is None:
            agent = User.objects.create_user(
                "agent@bench.example", "bench-password-123", role=Role.AGENT
            )
            TOTPDevice.objects.create(user=agent, name="bench", confirmed=True)
        team.members.add(agent)
        if not User.objects.filter(email="manager@bench.example").exists():
            manager = User.objects.create_user(
                "manager@bench.example", "bench-password-123", role=Role.MANAGER
            )
            TOTPDevice.objects.create(user=manager, name="bench", confirmed=True)
        have_consumers = User.objects.filter(role=Role.CONSUMER).count()
        if have_consumers < consumers:
            started = time.monotonic()
            columns, values = _column_values(
                User,
                {
                    "email": "'consumer' || g || '@bench.example'",
                    "password": "'!'",
                    "full_name": "'Consumer ' || g",
                    "role": "'consumer'",
                    "date_joined": "now()",
                },
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    # Built from model metadata and integers of this command, no outside input.
                    f"INSERT INTO accounts_user ({columns}) SELECT {values} "  # noqa: S608
                    f"FROM generate_series({have_consumers + 1}, {consumers}) AS g"
                )
            self.stdout.write(f"Consumers: {consumers} ({time.monotonic() - started:.0f} s)")
        have = Complaint.objects.count()
        if have < complaints:
            started = time.monotonic()
            first_consumer = User.objects.filter(role=Role.CONSUMER).order_by("pk").first()
            assert first_consumer is not None
            base = first_consumer.pk
            status = f"({_sql_array(STATUSES)})[1 + g % {len(STATUSES)}]"
            active = _sql_array([str(s) for s in ACTIVE_STATUSES])
            columns, values = _column_values(
                Complaint,
                {
                    "reference": "'B-' || lpad(g::text, 9, '0')",
                    "consumer_id": f"{base} + (g % {consumers})",
                    "subject": "'Benchmark complaint ' || g",
                    "description": "'Card payment taken twice at store ' || (g % 997)",
                    "priority": f"({_sql_array(PRIORITIES)})[1 + g % {len(PRIORITIES)}]",
                    "channel": "'portal'",
                    "status": status,
                    "team_id": str(team.pk),
                    "assignee_id": f"CASE WHEN g % 50 = 0 THEN {agent.pk} END",
                    "received_at": "now() - (g % 20000) * interval '37 minutes'",
                    "created_at": "now()",
                    "updated_at": "now() - (g % 20000) * interval '37 minutes'",
                    "next_due_at": f"CASE WHEN {status} = ANY({active}) "
                    "THEN now() + ((g % 4000) - 300) * interval '1 hour' END",
                },
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO complaints_complaint ({columns}) SELECT {values} "  # noqa: S608
                    f"FROM generate_series({have + 1}, {complaints}) AS g"
                )
            self.stdout.write(f"Complaints: {complaints} ({time.monotonic() - started:.0f} s)")
        if Complaint.objects.filter(search_vector__isnull=True).exists():
            started = time.monotonic()
            # The same weighting as the services give a complaint without correspondence.
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE complaints_complaint SET search_vector = "
                    "setweight(to_tsvector('english', subject), 'A') || "
                    "setweight(to_tsvector('english', description), 'B') "
                    "WHERE search_vector IS NULL"
                )
                cursor.execute("ANALYZE")
            self.stdout.write(f"Search vectors ({time.monotonic() - started:.0f} s)")
        consumer = User.objects.get(email="consumer1@bench.example")
        return agent, consumer

    @staticmethod
    def staff_client(tenant: Tenant, user: User) -> Client:
        client = Client(HTTP_HOST=tenant.host)
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session["otp_device_id"] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
        return client

    def measure(self, tenant: Tenant, agent: User, consumer: User, runs: int) -> None:
        staff = self.staff_client(tenant, agent)
        boss = self.staff_client(tenant, User.objects.get(email="manager@bench.example"))
        person = Client(HTTP_HOST=tenant.host)
        person.force_login(consumer, backend="django.contrib.auth.backends.ModelBackend")
        token = issue_tokens(consumer, second_factor=False)["access"]
        api = Client(HTTP_HOST=tenant.host, HTTP_AUTHORIZATION=f"Bearer {token}")
        sample = Complaint.objects.filter(team__isnull=False).order_by("-received_at").first()
        assert sample is not None
        targets: list[tuple[str, Callable[[], Any]]] = [
            ("console queue, my teams", lambda: staff.get("/console/")),
            ("console queue, breached", lambda: staff.get("/console/?view=breached")),
            ("console queue, at risk", lambda: staff.get("/console/?view=at_risk")),
            ("console queue, search", lambda: staff.get("/console/?q=store+996")),
            (
                "console complaint page",
                lambda: staff.get(f"/console/complaints/{sample.reference}/"),
            ),
            ("consumer: my complaints", lambda: person.get("/complaints/")),
            ("API: list complaints", lambda: api.get("/api/v1/complaints/")),
            ("manager dashboard", lambda: boss.get("/dashboard/")),
            ("regulatory return", lambda: boss.get("/dashboard/return/")),
        ]
        self.stdout.write(
            f"\n{Complaint.objects.count():,} complaints in {tenant.slug}; "
            f"{runs} runs each after a warm-up (milliseconds)\n"
        )
        self.stdout.write(f"{'page':<28} {'status':>6} {'p50':>8} {'p95':>8} {'max':>8}")
        with override_settings(DEBUG=False):
            for label, call in targets:
                status = call().status_code
                timings = []
                for _ in range(runs):
                    started = time.perf_counter()
                    call()
                    timings.append((time.perf_counter() - started) * 1000)
                timings.sort()
                p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
                self.stdout.write(
                    f"{label:<28} {status:>6} {statistics.median(timings):>8.1f} "
                    f"{p95:>8.1f} {timings[-1]:>8.1f}"
                )
