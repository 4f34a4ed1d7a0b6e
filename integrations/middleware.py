from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.models import AuditEvent
from audit.services import record_event


class ApiClientAuditMiddleware:
    """Every API call made by a machine client is one audit entry naming the client, with
    the method, path (never the query string) and answer's status code."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        client = getattr(request, "api_client", None)
        if client is not None:
            record_event(
                AuditEvent.Action.API_CLIENT_CALL,
                actor=client.identity,
                request=request,
                target=f"{request.method} {request.path}",
                client=client.name,
                client_id=client.client_id,
                status=response.status_code,
            )
        return response
