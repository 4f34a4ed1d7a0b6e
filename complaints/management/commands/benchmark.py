"""Fill a benchmark tenant with many complaints and time the busiest pages against a floor.

    python manage.py benchmark --complaints 200000 --json /tmp/benchmark.json

The data is made with set-based SQL (generate_series), so a million complaints take about a
minute. When gunicorn is installed, the product and the *floor* (``complaints.benchmark_floor``:
one SQL query rendering the same 25 queue rows in a bare Django view) are served side by side
by gunicorn (2 workers each, on ``--port`` and the next port) and requested over HTTP;
otherwise both are asked in process through Django's test client. Requests are interleaved:
each round asks every page once, as a manager and as an agent, so load on the machine falls
on all pages alike. The command prints p50/p95 per page and the ratios the performance goals
name (page/floor, agent/manager, middle/first page, complaint page/floor) and writes them,
with the machine's load average, as JSON. The report pages are asked twice: with their figures
cached, and cold (the cached figures dropped before each request). A p95 is the nearest-rank
95th percentile of the runs (the 29th of 30, the 10th of 10). Interrupted (Ctrl-C or
SIGTERM), it stops its servers before it exits.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import math
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from argparse import ArgumentParser, ArgumentTypeError
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models
from django.test import Client
from django.test.utils import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import tenant_context
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.state import token_backend

from accounts.api import issue_tokens
from accounts.models import Role, User
from accounts.sessions import SessionStore
from complaints.benchmark_floor import floor_page
from complaints.models import ACTIVE_STATUSES, Category, Complaint, Event, Team
from complaints.pagination import cursor_for
from deadlines.models import Deadline
from tenancy.models import Domain, RegulatoryProfile, Tenant, schema_name_for, slug_problem

SLUG = "bench"
STATUSES = ["new", "open", "awaiting_consumer", "resolved", "closed", "closed", "closed"]
PRIORITIES = ["low", "normal", "normal", "high", "urgent"]
OUTCOMES = ["upheld", "partly_upheld", "not_upheld"]
# Products and their causes; complaints are spread over the causes.
PRODUCTS = {"Current accounts": ["Fees", "Service"], "Cards": ["Fraud", "Card payments"]}
HISTORY = 200  # timeline entries of the complaint whose page is timed
# The goals: each ratio of p95 times at most this.
GOALS = {"page/floor": 2.5, "agent/manager": 1.2, "middle/first": 1.2, "complaint/floor": 3.0}
# The report pages with their cached figures dropped: p95 at most this, in milliseconds.
COLD_REPORT_GOAL_MS = 300
QUEUE_PAGES = ("first page", "page 21", "middle", "search")
COMPLAINT_PAGE = "complaint, 200 events"
# Queue throughput with this many requests at once must reach this share of the floor's.
CONCURRENCY = 8
THROUGHPUT_GOAL = 0.6
# Each product worker's resident memory after --memory-requests requests stays below this.
MEMORY_GOAL_MIB = 150


def worker_rss_mib(master: int) -> list[float]:
    """Resident memory (MiB) of each worker process of the gunicorn master ``master``."""
    sizes = []
    for task in Path(f"/proc/{master}/task").glob("*/children"):
        for child in task.read_text().split():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{child}/status").read_text()
                kib = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
                sizes.append(int(kib.split()[1]) / 1024)
    return sizes


@dataclass(frozen=True)
class Target:
    """One timed request: its label, who asks (an e-mail, "api", or nobody) and the path;
    a ``cold`` one (the kind of report) is asked with that report's cached figures dropped
    first."""

    label: str
    who: str
    url: str
    cold: str = ""


def forget_report(kind: str) -> None:
    """Drop the cached figures of one kind of report (``reports.views.cached_tables``)."""
    client = getattr(cache, "_cache", None)
    if client is None:  # the local-memory cache of a run without Redis
        cache.clear()
        return
    redis = client.get_client(write=True)
    keys = list(redis.scan_iter(match=f"*reports:{kind}:*"))
    if keys:
        redis.delete(*keys)


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{value}'" for value in values) + "]"


def _column_values(model: type[models.Model], explicit: dict[str, str]) -> tuple[str, str]:
    """Column names and SELECT expressions: explicit ones, else NULL or the field default;
    generated columns (``priority_rank``) are left to the database."""
    columns, expressions = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or getattr(field, "generated", False):
            continue  # the database numbers the row and computes generated columns
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
    help = "Fill a benchmark tenant with complaints and time the busiest pages against a floor."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--complaints", type=at_least(1), default=200_000, help="complaints to load (≥ 1)"
        )
        parser.add_argument(
            "--tenant", default=SLUG, help="slug of the benchmark tenant (one per data size)"
        )
        parser.add_argument("--fill-only", action="store_true", help="load the data, time nothing")
        parser.add_argument(
            "--consumers", type=at_least(1), default=200_000, help="consumer accounts (≥ 1)"
        )
        parser.add_argument(
            "--runs", type=at_least(1), default=30, help="timed rounds of every page (≥ 1)"
        )
        parser.add_argument(
            "--port", type=port_number, default=8700, help="the product; the floor +1"
        )
        parser.add_argument(
            "--json",
            default="benchmark.json",
            help="where to write the results (default benchmark.json, ignored by git)",
        )
        parser.add_argument(
            "--client", action="store_true", help="use the test client even with gunicorn"
        )
        parser.add_argument(
            "--throughput-seconds",
            type=positive_seconds,
            default=15,
            help=f"seconds of queue requests at {CONCURRENCY} at once, to the product and the floor",
        )
        parser.add_argument(
            "--memory-requests",
            type=at_least(0),
            default=10_000,
            help="requests the product has served when its workers' memory is read",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("The benchmark fills a tenant with fake data; not in production.")
        use_http = not options["client"] and importlib.util.find_spec("gunicorn") is not None
        if use_http and not options["fill_only"]:  # before minutes of loading
            for port in (options["port"], options["port"] + 1):
                if not port_is_free(port):
                    raise CommandError(
                        f"Port {port} is in use; choose free ones with --port (it and the next)."
                    )
        slug = options["tenant"]
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            if problem := slug_problem(slug):
                raise CommandError(f"--tenant {slug!r}: {problem}")
            self.stdout.write("Creating the benchmark tenant…")
            tenant = Tenant(
                schema_name=schema_name_for(slug),
                slug=slug,
                name="Benchmark Bank",
                regulatory_profile=RegulatoryProfile.UK_FCA,
            )
            tenant.save(verbosity=0)
            Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)
        with tenant_context(tenant):
            agent, consumer = self.fill(options["complaints"], options["consumers"])
        if self.loaded:
            # Loaded around the services, so the report rollups are recounted, as after a
            # backfill (named, not imported: reports sits above complaints).
            started = time.monotonic()
            call_command("rebuild_report_counts", tenant=slug, stdout=self.stdout)
            self.stdout.write(f"Report rollups ({time.monotonic() - started:.0f} s)")
        with tenant_context(tenant):
            if options["fill_only"]:
                return
            manager = User.objects.get(email="manager@bench.example")
            targets = self.targets(agent, manager, consumer)
            count = Complaint.objects.count()
        started_at = time.time()
        # The servers run with a production secret key of their own: the sessions and the
        # token they are asked with are signed with it.
        secret_key = secrets.token_urlsafe(48)
        with (
            override_settings(SECRET_KEY=secret_key) if use_http else contextlib.nullcontext(),
            tenant_context(tenant),
        ):
            sessions = {user.email: self.session(user) for user in (agent, manager, consumer)}
            token = issue_tokens(consumer, second_factor=False)["access"]
        if use_http:
            token = TokenBackend("HS256", secret_key).encode(
                token_backend.decode(token)  # type: ignore[arg-type]
            )
        extra: dict[str, Any] = {}
        env = self.production_env(tenant, secret_key)
        serving: contextlib.AbstractContextManager[list[int]] = (
            self.servers(tenant, options["port"], env) if use_http else contextlib.nullcontext([])
        )
        try:
            with serving as masters:
                fetch = (
                    self.http_fetch(tenant, options["port"], sessions, token)
                    if use_http
                    else self.client_fetch(tenant, sessions, token)
                )
                with tenant_context(tenant):
                    results = self.measure(targets, options["runs"], fetch)
                    if use_http:
                        extra = self.load_figures(targets, fetch, masters, options)
        except KeyboardInterrupt:
            raise CommandError(
                "Interrupted: the servers were stopped and nothing was written.", returncode=130
            ) from None
        report = {
            "tenant": slug,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started_at)),
            "complaints": count,
            "transport": (
                "gunicorn (deploy/gunicorn.conf.py: 2 workers of 4 threads) over HTTP, "
                "production settings (DJANGO_ENV=production: DEBUG off, connection pool, "
                "cached templates)"
                if use_http
                else "Django test client"
            ),
            "runs": options["runs"],
            "cpus": os.cpu_count(),
            "load_average_1_5_15": [round(load, 2) for load in os.getloadavg()],
            "pages_ms": results,
            "ratios": self.ratios(results),
            "cold_reports": self.cold_reports(results),
            **extra,
        }
        Path(options["json"]).write_text(json.dumps(report, indent=2))
        self.stdout.write(
            f"\n{count:,} complaints; load average {report['load_average_1_5_15']} on "
            f"{report['cpus']} CPUs; written to {options['json']}"
        )

    # Whether this run loaded complaints (and so must recount the report rollups).
    loaded = False

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
            received = "now() - (g % 20000) * interval '37 minutes'"
            resolved = f"LEAST(now(), {received} + (1 + g % 90) * interval '9 hours')"
            categories = self.categories()
            category_ids = "ARRAY[" + ",".join(str(pk) for pk in categories) + "]"
            active = _sql_array([str(s) for s in ACTIVE_STATUSES])
            columns, values = _column_values(
                Complaint,
                {
                    # The product's pattern (REFERENCE_PATTERN): C, year of receipt, number.
                    "reference": f"'C-' || to_char({received}, 'YYYY') || '-' || lpad(g::text, 9, '0')",
                    "consumer_id": f"{base} + (g % {consumers})",
                    "subject": "'Benchmark complaint ' || g",
                    "description": "'Card payment taken twice at store ' || (g % 997)",
                    "priority": f"({_sql_array(PRIORITIES)})[1 + g % {len(PRIORITIES)}]",
                    "channel": "'portal'",
                    "status": status,
                    "team_id": str(team.pk),
                    "assignee_id": f"CASE WHEN g % 50 = 0 THEN {agent.pk} END",
                    "received_at": received,
                    "category_id": f"({category_ids})[1 + g % {len(categories)}]",
                    "first_responded_at": f"CASE WHEN {status} <> 'new' "
                    f"THEN LEAST(now(), {received} + (1 + g % 30) * interval '1 hour') END",
                    "resolved_at": f"CASE WHEN {status} IN ('resolved', 'closed') THEN {resolved} END",
                    "closed_at": f"CASE WHEN {status} = 'closed' "
                    f"THEN LEAST(now(), {resolved} + interval '3 days') END",
                    "outcome": f"CASE WHEN {status} IN ('resolved', 'closed') "
                    f"THEN ({_sql_array(OUTCOMES)})[1 + g % {len(OUTCOMES)}] ELSE '' END",
                    "satisfaction_score": f"CASE WHEN {status} = 'closed' AND g % 4 = 0 "
                    "THEN 1 + g % 5 END",
                    "redress_amount": f"CASE WHEN {status} = 'closed' AND g % 20 = 0 THEN 50 END",
                    "redress_currency": f"CASE WHEN {status} = 'closed' AND g % 20 = 0 "
                    "THEN 'GBP' ELSE '' END",
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
            self.loaded = True
        self.fill_history()
        if Complaint.objects.filter(search_vector__isnull=True).exists():
            started = time.monotonic()
            # The words the services index (ComplaintQuerySet.refresh_search).
            Complaint.objects.filter(search_vector__isnull=True).refresh_search()
            with connection.cursor() as cursor:
                # As autovacuum would soon after a bulk load: fresh statistics, and the
                # visibility map that lets index-only scans skip the table (VACUUM cannot run
                # inside a transaction, as when a test calls the loader: statistics only).
                if not connection.in_atomic_block:
                    cursor.execute("VACUUM (ANALYZE) complaints_complaint")
                # Statistics of this tenant's tables only: a bare ANALYZE would reach every
                # schema in the database, other tenants' plans included.
                cursor.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
                for (table,) in cursor.fetchall():
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            self.stdout.write(f"Search vectors ({time.monotonic() - started:.0f} s)")
        consumer = User.objects.get(email="consumer1@bench.example")
        return agent, consumer

    def fill_history(self) -> None:
        """Each loaded complaint's timeline and deadlines, as the services would have written
        them: received (every complaint), the first reply (once responded), the resolution
        (once resolved), an internal note on one in five (about 2.6 entries a complaint);
        the acknowledgement, final response and summary resolution clocks (3 a complaint),
        met when the complaint was answered and resolved. Only complaints without a
        "received" entry are filled, so a larger load adds to a smaller one."""
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE bench_unfilled AS SELECT c.id, c.consumer_id, "
                "c.assignee_id, c.description, c.received_at, c.first_responded_at, "
                "c.resolved_at FROM complaints_complaint c WHERE NOT EXISTS (SELECT 1 FROM "
                "complaints_event e WHERE e.complaint_id = c.id AND e.kind = 'submitted')"
            )
            cursor.execute("SELECT count(*) FROM bench_unfilled")
            (unfilled,) = cursor.fetchone()
            if not unfilled:
                cursor.execute("DROP TABLE IF EXISTS bench_unfilled")
                return
            events = [
                ("'submitted'", "c.consumer_id", "c.description", "false", "c.received_at", "true"),
                (
                    "'reply'",
                    "c.assignee_id",
                    "'Thank you for your patience; we are looking into the payment.'",
                    "false",
                    "c.first_responded_at",
                    "c.first_responded_at IS NOT NULL",
                ),
                (
                    "'resolved'",
                    "c.assignee_id",
                    "'We have refunded the duplicate payment.'",
                    "false",
                    "c.resolved_at",
                    "c.resolved_at IS NOT NULL",
                ),
                (
                    "'note'",
                    "c.assignee_id",
                    "'Called the store; the second payment was a pre-authorisation.'",
                    "true",
                    "c.received_at + interval '2 hours'",
                    "c.id % 5 = 0",
                ),
            ]
            for kind, actor, body, internal, at, where in events:
                columns, values = _column_values(
                    Event,
                    {
                        "complaint_id": "c.id",
                        "kind": kind,
                        "actor_id": actor,
                        "body": body,
                        "is_internal": internal,
                        "created_at": at,
                    },
                )
                cursor.execute(
                    # Built from model metadata and constants of this command.
                    f"INSERT INTO complaints_event ({columns}) "  # noqa: S608
                    f"SELECT {values} FROM bench_unfilled c WHERE {where}"
                )
            clocks = [
                ("'acknowledgement'", "interval '3 days'", "c.first_responded_at", "false", "true"),
                ("'final_response'", "interval '56 days'", "c.resolved_at", "true", "true"),
                ("'summary_resolution'", "interval '3 days'", "NULL", "true", "false"),
            ]
            for clock, within, met, regulatory, enforced in clocks:
                columns, values = _column_values(
                    Deadline,
                    {
                        "complaint_id": "c.id",
                        "clock": clock,
                        "due_at": f"c.received_at + {within}",
                        "met_at": met,
                        "regulatory": regulatory,
                        "enforced": enforced,
                    },
                )
                cursor.execute(
                    f"INSERT INTO deadlines_deadline ({columns}) "  # noqa: S608
                    f"SELECT {values} FROM bench_unfilled c"
                )
            cursor.execute("DROP TABLE IF EXISTS bench_unfilled")
            if not connection.in_atomic_block:
                for table in ("complaints_event", "deadlines_deadline"):
                    cursor.execute(f"VACUUM (ANALYZE) {table}")
        self.stdout.write(
            f"Timelines and deadlines of {unfilled} complaints ({time.monotonic() - started:.0f} s)"
        )

    @staticmethod
    def categories() -> list[int]:
        """The ids of the causes complaints are filed under, each under its product."""
        causes = []
        for product, names in PRODUCTS.items():
            parent, _ = Category.objects.get_or_create(name=product, parent=None)
            causes += [
                Category.objects.get_or_create(name=name, parent=parent)[0].pk for name in names
            ]
        return causes

    def long_history(self, agent: User) -> Complaint:
        """A complaint of the agent's team with ``HISTORY`` replies on its timeline."""
        complaint = Complaint.objects.filter(status="open").order_by("-received_at").first()
        assert complaint is not None
        missing = HISTORY - complaint.events.count()
        if missing > 0:
            Event.objects.bulk_create(
                Event(
                    complaint=complaint,
                    kind=Event.Kind.REPLY,
                    actor=agent if number % 2 else complaint.consumer,
                    body=f"Reply number {number} about the double payment.",
                )
                for number in range(missing)
            )
            with connection.cursor() as cursor:
                # As autovacuum would soon: plans for the new rows need fresh statistics.
                cursor.execute("ANALYZE complaints_event")
        return complaint

    def targets(self, agent: User, manager: User, consumer: User) -> list[Target]:
        """Every timed request: the floor, the queue and a long complaint per role, and more."""
        queue = Complaint.objects.active().order_by("received_at", "id")
        middle = queue.values_list("received_at", "pk")[queue.count() // 2]
        page_21 = queue.values_list("received_at", "pk")[20 * 25 - 1]
        long_history = self.long_history(agent)
        urls = {
            "first page": "/console/",
            "page 21": f"/console/?after={cursor_for('received_at', *page_21)}",
            "middle": f"/console/?after={cursor_for('received_at', *middle)}",
            "search": "/console/?q=store+996",
            COMPLAINT_PAGE: f"/console/complaints/{long_history.reference}/",
        }
        targets = [Target("floor", "", "/")]
        for person, role in ((manager, "manager"), (agent, "agent")):
            targets += [Target(f"{name} ({role})", person.email, url) for name, url in urls.items()]
        return [
            *targets,
            Target("consumer: my complaints", consumer.email, "/complaints/"),
            Target("API: list complaints", "api", "/api/v1/complaints/"),
            Target("manager dashboard (cached)", manager.email, "/dashboard/"),
            Target("regulatory return (cached)", manager.email, "/dashboard/return/"),
            Target("manager dashboard (cold)", manager.email, "/dashboard/", cold="dashboard"),
            Target("regulatory return (cold)", manager.email, "/dashboard/return/", cold="return"),
        ]

    @staticmethod
    def session(user: User) -> str:
        """A signed-in session of ``user`` in the tenant, second factor passed for staff."""
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "accounts.sessions.AccountBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        device = TOTPDevice.objects.filter(user=user).first()
        if device is not None:
            store["otp_device_id"] = device.persistent_id
        store.create()
        assert store.session_key is not None
        return store.session_key

    @staticmethod
    def production_env(tenant: Tenant, secret_key: str) -> dict[str, str]:
        """The environment of a production deployment (``DJANGO_ENV=production``: debug off,
        the connection pool, cached templates, JSON logs), for this machine's database and
        Redis; the floor gets the same, so both have the same database settings."""
        return {
            **os.environ,
            "DJANGO_ENV": "production",
            "DEBUG": "0",
            "SECRET_KEY": secret_key,
            "BASE_DOMAIN": f"benchmark.{settings.BASE_DOMAIN}",
            "ALLOWED_HOSTS": f".{settings.BASE_DOMAIN}",
            "DATABASE_URL": settings.DATABASE_URL,
            "REDIS_URL": settings.REDIS_URL,
            "LOG_LEVEL": "WARNING",
            # gunicorn as deploy/gunicorn.conf.py runs it: 2 workers of 4 threads; the access
            # log is written (as in production) but thrown away; workers are not replaced
            # during the run, so their memory after every request can be read.
            "WEB_WORKERS": "2",
            "WEB_ACCESS_LOG": os.devnull,
            "WEB_MAX_REQUESTS": "0",
            "BENCHMARK_SCHEMA": tenant.schema_name,
        }

    @contextlib.contextmanager
    def servers(self, tenant: Tenant, port: int, env: dict[str, str]) -> Iterator[list[int]]:
        """The product and the floor under gunicorn with the production configuration
        (``deploy/gunicorn.conf.py``) while the block runs; yields the masters' process ids."""
        # Served as in production: without debug, static files from their manifest.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity=0"],
            env=env,
            cwd=settings.BASE_DIR,
            check=True,
        )
        processes = [
            subprocess.Popen(  # noqa: S603 - fixed arguments, no shell
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config=deploy/gunicorn.conf.py",
                    f"--bind=127.0.0.1:{bound}",
                    app,
                ],
                env=env,
                cwd=settings.BASE_DIR,
                start_new_session=True,
            )
            for app, bound in (
                ("project.wsgi:application", port),
                ("complaints.benchmark_floor:application", port + 1),
            )
        ]
        # SIGTERM ends the run as Ctrl-C does, through the ``finally`` that stops the servers.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            for bound in (port, port + 1):
                self.wait_for(bound)
            yield [process.pid for process in processes]
        finally:
            signal.signal(signal.SIGTERM, previous)
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                process.wait(timeout=30)

    def load_figures(
        self,
        targets: list[Target],
        fetch: Callable[[Target], int],
        masters: list[int],
        options: dict[str, Any],
    ) -> dict[str, Any]:
        """Queue throughput at ``CONCURRENCY`` requests at once (product and floor), then the
        product workers' memory once they have served ``--memory-requests`` requests."""
        by_label = {target.label: target for target in targets}
        queue, floor = by_label["first page (manager)"], by_label["floor"]
        seconds = options["throughput_seconds"]
        product_rate, served = self.throughput(fetch, [queue], seconds=seconds)
        floor_rate, _ = self.throughput(fetch, [floor], seconds=seconds)
        ratio = round(product_rate / floor_rate, 2) if floor_rate else 0.0
        self.stdout.write(
            f"\nqueue throughput at c={CONCURRENCY}: {product_rate:.1f} requests/s, floor "
            f"{floor_rate:.1f}/s: {ratio} of the floor (goal ≥ {THROUGHPUT_GOAL})"
        )
        # Every page but the floor and the cold reports, round and round, until the product
        # has served the requests asked for (the timed rounds' included).
        pages = [t for t in targets if t.label != "floor" and not t.cold]
        served += (options["runs"] + 1) * (len(targets) - 1)
        if options["memory_requests"] > served:
            self.throughput(fetch, pages, requests=options["memory_requests"] - served)
            served = options["memory_requests"]
        rss = worker_rss_mib(masters[0])
        self.stdout.write(
            f"product workers after {served:,} requests: "
            + ", ".join(f"{mib:.0f} MiB" for mib in rss)
            + f" (goal < {MEMORY_GOAL_MIB} MiB each)"
        )
        return {
            "throughput": {
                "concurrency": CONCURRENCY,
                "seconds": seconds,
                "queue_requests_per_second": round(product_rate, 1),
                "floor_requests_per_second": round(floor_rate, 1),
                "ratio": ratio,
                "goal": THROUGHPUT_GOAL,
                "met": ratio >= THROUGHPUT_GOAL,
            },
            "memory": {
                "requests_served": served,
                "worker_rss_mib": [round(mib, 1) for mib in rss],
                "goal_mib": MEMORY_GOAL_MIB,
                "met": bool(rss) and max(rss) < MEMORY_GOAL_MIB,
            },
        }

    @staticmethod
    def throughput(
        fetch: Callable[[Target], int],
        targets: list[Target],
        *,
        seconds: float = 0,
        requests: int = 0,
    ) -> tuple[float, int]:
        """Requests per second with ``CONCURRENCY`` clients asking for ``targets`` in turn,
        for ``seconds`` or until ``requests`` were answered; and how many were."""
        assert seconds > 0 or requests > 0, "a bound: seconds or requests"
        lock = threading.Lock()
        stopped = threading.Event()  # set when the run is interrupted
        done = 0
        started = time.monotonic()
        stop_at = started + seconds if seconds else float("inf")

        def client(offset: int) -> None:
            nonlocal done
            turn = offset
            while time.monotonic() < stop_at and not stopped.is_set():
                with lock:
                    if requests and done >= requests:
                        return
                fetch(targets[turn % len(targets)])
                turn += 1
                with lock:
                    done += 1

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            try:
                for future in [pool.submit(client, n) for n in range(CONCURRENCY)]:
                    future.result()
            except BaseException:
                stopped.set()
                raise
        return done / (time.monotonic() - started), done

    @staticmethod
    def wait_for(port: int) -> None:
        """Return once something answers HTTP on ``port``; CommandError after a minute."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                probe.request("GET", "/healthz")
                probe.getresponse().read()
                return
            time.sleep(0.5)
        raise CommandError(f"No server answered on port {port}.")

    @staticmethod
    def http_fetch(
        tenant: Tenant, port: int, sessions: dict[str, str], token: str
    ) -> Callable[[Target], int]:
        """A function asking the servers for a target over a new HTTP connection."""

        def fetch(target: Target) -> int:
            # As nginx forwards a request it took over TLS (production redirects plain HTTP).
            headers = {"Host": f"{tenant.host}:{port}", "X-Forwarded-Proto": "https"}
            if target.who == "api":
                headers["Authorization"] = f"Bearer {token}"
            elif target.who:
                headers["Cookie"] = f"{settings.SESSION_COOKIE_NAME}={sessions[target.who]}"
            bound = port + 1 if target.label == "floor" else port
            server = http.client.HTTPConnection("127.0.0.1", bound, timeout=120)
            server.request("GET", target.url, headers=headers)
            response = server.getresponse()
            response.read()
            server.close()
            return response.status

        return fetch

    @staticmethod
    def client_fetch(
        tenant: Tenant, sessions: dict[str, str], token: str
    ) -> Callable[[Target], int]:
        """A function asking for a target in process, through Django's test client."""
        clients: dict[str, Client] = {}

        def fetch(target: Target) -> int:
            if target.label == "floor":
                return floor_page().status_code
            if target.who not in clients:
                client = Client(HTTP_HOST=tenant.host)
                if target.who == "api":
                    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
                else:
                    client.cookies[settings.SESSION_COOKIE_NAME] = sessions[target.who]
                clients[target.who] = client
            return clients[target.who].get(target.url).status_code

        return fetch

    def measure(
        self, targets: list[Target], runs: int, fetch: Callable[[Target], int]
    ) -> dict[str, dict[str, float]]:
        """Status, p50 and p95 (milliseconds) of each target; each round asks every one once."""
        with override_settings(DEBUG=False):
            statuses = {target.label: fetch(target) for target in targets}  # warm-up
            failed = {label: status for label, status in statuses.items() if status != 200}
            if failed:
                raise CommandError(f"Pages did not answer 200: {failed}")
            timings: dict[str, list[float]] = {target.label: [] for target in targets}
            for _ in range(runs):
                for target in targets:
                    if target.cold:
                        forget_report(target.cold)
                    started = time.perf_counter()
                    fetch(target)
                    timings[target.label].append((time.perf_counter() - started) * 1000)
        self.stdout.write(f"\n{'page (milliseconds)':<34} {'status':>6} {'p50':>8} {'p95':>8}")
        results = {}
        for label, values in timings.items():
            p95 = nearest_rank(values, 95)
            results[label] = {
                "status": statuses[label],
                "p50": round(statistics.median(values), 1),
                "p95": round(p95, 1),
            }
            self.stdout.write(
                f"{label:<34} {statuses[label]:>6} {results[label]['p50']:>8} {p95:>8.1f}"
            )
        return results

    def ratios(self, results: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
        """The ratios of p95 times the goals name, each with its goal and whether it is met."""
        p95 = {label: entry["p95"] for label, entry in results.items()}
        wanted: list[tuple[str, str, str, str]] = []
        for role in ("manager", "agent"):
            wanted += [
                (f"{p} ({role})/floor", "page/floor", f"{p} ({role})", "floor") for p in QUEUE_PAGES
            ]
            wanted.append(
                (
                    f"middle/first page ({role})",
                    "middle/first",
                    f"middle ({role})",
                    f"first page ({role})",
                )
            )
            wanted.append(
                (
                    f"{COMPLAINT_PAGE} ({role})/floor",
                    "complaint/floor",
                    f"{COMPLAINT_PAGE} ({role})",
                    "floor",
                )
            )
        wanted += [
            (f"{p}: agent/manager", "agent/manager", f"{p} (agent)", f"{p} (manager)")
            for p in (*QUEUE_PAGES, COMPLAINT_PAGE)
        ]
        ratios = {}
        self.stdout.write(f"\n{'ratio of p95 times':<44} {'value':>6} {'goal':>6}")
        for name, goal, top, bottom in wanted:
            value = round(p95[top] / p95[bottom], 2)
            ratios[name] = {"ratio": value, "goal": GOALS[goal], "met": value <= GOALS[goal]}
            verdict = "met" if value <= GOALS[goal] else "over"
            self.stdout.write(f"{name:<44} {value:>6} {GOALS[goal]:>6}  {verdict}")
        return ratios

    def cold_reports(self, results: dict[str, dict[str, float]]) -> dict[str, dict[str, Any]]:
        """The report pages' p95 with their cached figures dropped, against their goal."""
        verdicts = {}
        self.stdout.write(f"\n{'cold report p95 (milliseconds)':<44} {'value':>6} {'goal':>6}")
        for label, entry in results.items():
            if not label.endswith("(cold)"):
                continue
            met = entry["p95"] <= COLD_REPORT_GOAL_MS
            verdicts[label] = {"p95": entry["p95"], "goal": COLD_REPORT_GOAL_MS, "met": met}
            verdict = "met" if met else "over"
            self.stdout.write(f"{label:<44} {entry['p95']:>6} {COLD_REPORT_GOAL_MS:>6}  {verdict}")
        return verdicts


def nearest_rank(values: list[float], percent: float) -> float:
    """The nearest-rank percentile of ``values``: the smallest value with at least ``percent``
    of them at or below it (the 29th of 30 for 95, the 10th of 10)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * percent / 100) - 1)]


def at_least(lowest: int) -> Callable[[str], int]:
    """An argument type: a whole number not below ``lowest``."""

    def whole(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise ArgumentTypeError(f"not a whole number: {text!r}") from None
        if number < lowest:
            raise ArgumentTypeError(f"must be at least {lowest}, not {number}")
        return number

    return whole


def port_number(text: str) -> int:
    """An argument type: a TCP port with a free one after it (1024 to 65534)."""
    number = at_least(1024)(text)
    if number > 65534:
        raise ArgumentTypeError(f"must be at most 65534 (the floor takes the next), not {number}")
    return number


def positive_seconds(text: str) -> float:
    """An argument type: a number of seconds above zero, finite."""
    try:
        seconds = float(text)
    except ValueError:
        raise ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return seconds


def port_is_free(port: int) -> bool:
    """Whether nothing listens on ``port`` of 127.0.0.1 and it can be bound."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
