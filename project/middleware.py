from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from project.logging import request_id_var
from tenancy import current
from tenancy.current import tenant_var

logger = logging.getLogger(__name__)

_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9\-]{8,64}")


class HealthCheckMiddleware:
    """Answers liveness and readiness probes before any host or tenant routing."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz":
            return JsonResponse({"status": "ok"})
        if request.path == "/readyz":
            return self.readiness()
        return self.get_response(request)

    @staticmethod
    def readiness() -> JsonResponse:
        try:
            current.use_public_schema()
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception:
            return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
        return JsonResponse({"status": "ok", "database": "ok"})


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
        logger.error("unhandled error in an API request", exc_info=exception)
        return JsonResponse(
            {
                "detail": "Something went wrong on our side. Quote the request id if you "
                "contact us.",
                "request_id": getattr(request, "request_id", ""),
            },
            status=500,
        )

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.path.startswith("/api/")
            and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        ):
            return JsonResponse(
                {"detail": "Send the request body with a Content-Length, not chunked."},
                status=411,
            )
        response = self.get_response(request)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if request.path.startswith("/api/") and response.status_code == 404 and not is_json:
            return JsonResponse({"detail": "Not found."}, status=404)
        return response
