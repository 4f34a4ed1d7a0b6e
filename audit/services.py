from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest

from audit.models import AuditEvent

# The request being served, so events written by services (which never see the request)
# still say where the change came from.
current_request: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def record_event(
    action: AuditEvent.Action,
    *,
    actor: Any = None,
    actor_email: str = "",
    request: HttpRequest | None = None,
    target: str = "",
    **detail: Any,
) -> AuditEvent:
    """Append one event to the current schema's audit log."""
    request = request if request is not None else current_request.get()
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id, actor_email = actor.pk, actor.email
    else:
        actor_id = None
    user_agent = request.headers.get("User-Agent", "")[:300] if request is not None else ""
    return AuditEvent.objects.create(
        action=action,
        actor_id=actor_id,
        actor_email=actor_email[:254],
        ip_address=client_ip(request),
        user_agent=user_agent,
        target=target[:200],
        detail=detail,
    )
