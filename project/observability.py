"""One log line and one set of metrics per request, and the Prometheus endpoint.

Labels are bounded: the view is the URL pattern's name (a few hundred at most), the method
and the status code. There is deliberately no tenant label: with thousands of tenants every
series would be multiplied by thousands. Per-tenant questions are answered from the request
log, whose every line names the tenant.

With several processes per node (gunicorn workers, the Celery worker), set
``PROMETHEUS_MULTIPROC_DIR`` to a folder shared by them: the endpoint then adds up every
process's figures, the deadline scan's duration measured in the worker included.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from kombu.exceptions import ChannelError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from psycopg import sql

from project.logging import request_id_var, scrub
from tenancy import current
from tenancy.current import tenant_var

logger = logging.getLogger("project.request")

REQUEST_LATENCY = Histogram(
    "complaints_request_duration_seconds",
    "Time to answer a request, by URL name, method and status code.",
    ["view", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
REQUEST_QUERIES = Histogram(
    "complaints_request_db_queries",
    "Database queries made by one request.",
    buckets=(0, 1, 2, 5, 10, 20, 50, 100, 200),
)
REQUEST_DB_SECONDS = Histogram(
    "complaints_request_db_seconds",
    "Time one request spent waiting for the database.",
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0),
)

# Keys in the WSGI environ where the application leaves what the server's access log needs.
ENVIRON_PREFIX = "complaints."


class QueryMeter:
    """Counts the queries run on the default connection and the time they took (seconds)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def _user_id(request: HttpRequest) -> str:
    """The id of the user the request was answered for, without loading one that wasn't.

    Never the e-mail address: logs are kept longer and read by more people than the data.
    """
    user = request.__dict__.get("user")
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is None or wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return "-"
    return str(wrapped.pk)


class RequestObservationMiddleware:
    """Logs each request once and records its latency and database use.

    Under gunicorn the server's access log writes the line (``deploy/gunicorn.conf.py`` turns
    ``REQUEST_LOG`` off), from facts this middleware leaves in the WSGI environ, so a request
    is still logged once; elsewhere (the development server, tests) this middleware writes it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        meter = QueryMeter()
        with connection.execute_wrapper(meter):
            response = self.get_response(request)
        duration = time.perf_counter() - started
        match = request.resolver_match
        view = (match.view_name if match else "") or "<unresolved>"
        facts = {
            "request_id": request_id_var.get(),
            "tenant": tenant_var.get(),
            "user_id": _user_id(request),
            "view": view,
            "queries": meter.count,
            "db_ms": round(meter.seconds * 1000, 1),
        }
        request.META.update({ENVIRON_PREFIX + key: value for key, value in facts.items()})
        REQUEST_LATENCY.labels(view, request.method or "", str(response.status_code)).observe(
            duration
        )
        REQUEST_QUERIES.observe(meter.count)
        REQUEST_DB_SECONDS.observe(meter.seconds)
        if settings.REQUEST_LOG:
            logger.info(
                "%s %s %s",
                request.method,
                scrub(request.path),
                response.status_code,
                extra={
                    **facts,
                    "method": request.method,
                    "path": scrub(request.path),
                    "status": response.status_code,
                    "duration_ms": round(duration * 1000, 1),
                },
            )
        return response


class BacklogCollector(Collector):
    """Outbox backlog and age over every schema, and the Celery queue's length, at scrape time.

    One query covers all schemas (a UNION over them), so a scrape costs one round trip
    whatever the number of tenants.
    """

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "complaints_outbox_pending_messages", "E-mails waiting in the outbox, all schemas."
        )
        oldest = GaugeMetricFamily(
            "complaints_outbox_oldest_pending_age_seconds",
            "Age of the oldest e-mail waiting in any outbox (0 when none waits).",
        )
        count, age = outbox_backlog()
        pending.add_metric([], count)
        oldest.add_metric([], age)
        yield pending
        yield oldest
        length = celery_queue_length()
        if length is not None:
            queued = GaugeMetricFamily(
                "complaints_celery_queue_length", "Tasks waiting in the default Celery queue."
            )
            queued.add_metric([], length)
            yield queued


def outbox_backlog() -> tuple[int, float]:
    """Pending outbox messages in every schema, and the oldest one's age in seconds."""
    from tenancy.models import Tenant

    schemas = list(
        Tenant.objects.with_schema_flag()
        .filter(has_schema=True)
        .values_list("schema_name", flat=True)
    )
    if not schemas:
        return 0, 0.0
    union = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT created_at FROM {}.outbox_message WHERE status = 'pending'").format(
            sql.Identifier(schema)
        )
        for schema in schemas
    )
    query = sql.SQL(
        "SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)"
        " FROM ({}) AS pending"
    ).format(union)
    with connection.cursor() as cursor:
        cursor.execute(query)
        count, age = cursor.fetchone()
    return int(count), float(age)


def celery_queue_length() -> int | None:
    """Tasks waiting in the default queue; None without a broker or when it is unreachable."""
    from project.celery import app

    if app.conf.task_always_eager:
        return None
    try:
        with app.connection_for_read() as broker:
            broker.ensure_connection(max_retries=1, interval_start=0, timeout=1)
            try:
                declared = broker.default_channel.queue_declare(
                    app.conf.task_default_queue, passive=True
                )
            except ChannelError:  # Redis keeps no empty queue: none waiting
                return 0
            return int(declared.message_count)
    except Exception:
        return None


def _scrape_registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def metrics_allowed(request: HttpRequest) -> bool:
    """With ``METRICS_TOKEN`` set, a scraper must send it as a bearer token; without it,
    only this machine may scrape (the nginx site refuses /metrics from outside)."""
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ")
        return hmac.compare_digest(sent.encode(), token.encode())
    return request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}


def metrics(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition of this node's processes (404 to anyone not allowed)."""
    if not metrics_allowed(request):
        return HttpResponse("Not found.", status=404, content_type="text/plain")
    current.use_public_schema()
    registry = _scrape_registry()
    backlog = CollectorRegistry()
    backlog.register(BacklogCollector())
    body = generate_latest(registry) + generate_latest(backlog)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
