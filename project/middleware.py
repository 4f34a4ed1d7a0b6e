from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.cache import caches
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from project.cache import ResilientRedisCache
from project.logging import request_id_var
from project.observability import metrics
from project.problems import PROBLEM_JSON, problem_response
from tenancy import current
from tenancy.current import tenant_var

logger = logging.getLogger(__name__)

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9\-]{8,64}")


class HealthCheckMiddleware:
    """Answers liveness and readiness probes, and metrics scrapes, before any host or tenant
    routing (and before the request log: probes every few seconds would drown it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            return self.readiness()
        if request.path == "/metrics":
            return metrics(request)
        return self.get_response(request)

    @staticmethod
    def readiness() -> JsonResponse:
        """Each dependency's state; 503 only when the database is down.

        The product serves without Redis (the cache falls back to the database, the outbox
        sweep delivers what could not be published), so a cache or broker outage is reported
        as "degraded" with 200: taking every web node out of the balancer would turn a
        degraded service into no service.
        """
        checks = {
            "database": _check(_ping_database),
            "cache": _check(_ping_cache),
            "broker": _check(_ping_broker),
        }
        if checks["database"] != "ok":
            return JsonResponse({"status": "unavailable", **checks}, status=503)
        degraded = any(state == "unreachable" for state in checks.values())
        return JsonResponse({"status": "degraded" if degraded else "ok", **checks})


def _check(ping: Callable[[], str]) -> str:
    try:
        return ping()
    except Exception:
        return "unreachable"


def _ping_database() -> str:
    current.use_public_schema()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _ping_cache() -> str:
    """Ping Redis itself: the cache's own calls swallow its errors."""
    backend = caches["default"]
    if not isinstance(backend, ResilientRedisCache):
        return "local"
    backend.ping()
    return "ok"


def _ping_broker() -> str:
    from project.celery import app

    if app.conf.task_always_eager:
        return "inline"
    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=1)
    return "ok"


class RequestIdMiddleware:
    """Gives every request an id (kept from X-Request-ID when well formed) for the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        id_token = request_id_var.set(request_id)
        tenant_token = tenant_var.set("-")
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            tenant_var.reset(tenant_token)
        response["X-Request-ID"] = request_id
        return response


class ApiNotFoundMiddleware:
    """Keeps every answer under /api/ JSON: Django's HTML 404 page and server errors become
    JSON errors, and a body sent without a length (chunked), which the WSGI server would
    silently drop, is refused with 411 instead of being read as empty."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exception, OperationalError | InterfaceError):
            # The database went away under the request: nothing it did was committed after
            # that point, and the client should simply retry (idempotently).
            logger.warning(
                "database unavailable during an API request: %s", type(exception).__name__
            )
            response = problem_response(
                503, "The service is briefly unavailable; retry in a moment.", "unavailable"
            )
            response["Retry-After"] = "1"
            return response
        logger.error("unhandled error in an API request", exc_info=exception)
        return problem_response(
            500,
            "Something went wrong on our side. Quote the request id if you contact us.",
            "server_error",
            request_id=getattr(request, "request_id", ""),
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith("/api/")
            and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        ):
            return problem_response(
                411, "Send the request body with a Content-Length, not chunked.", "length_required"
            )
        return self.get_response(request)


class ApiProblemMiddleware:
    """Every error answer under /api/ is problem details, whichever layer made it: Django's
    HTML pages (404, 400) and the JSON errors of the tenancy layer (an unknown or suspended
    tenant), which runs before the API's own error handling."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/") and response.status_code >= 400:
            return as_problem(response)
        return response


def as_problem(response: HttpResponse) -> HttpResponse:
    """An error answer as problem details, keeping its detail, code and other members."""
    content_type = response.get("Content-Type", "")
    if content_type.startswith(PROBLEM_JSON) or response.streaming:
        return response
    status = response.status_code
    body: dict[str, Any] = {}
    if content_type.startswith("application/json"):
        try:
            body = json.loads(response.content)
        except ValueError:
            body = {}
    if not isinstance(body, dict):
        body = {}
    detail = str(body.pop("detail", "") or HTTPStatus(status).phrase)
    code = body.pop("code", None)
    converted = problem_response(status, detail, code, **body)
    for header in ("Retry-After", "WWW-Authenticate", "Allow", "X-Request-ID"):
        if header in response:
            converted[header] = response[header]
    return converted
