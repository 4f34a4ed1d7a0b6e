"""The notifications page of the console: newest first, mark one or all read."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from notifications.models import Notification
from notifications.services import mark_read, unread_count

PAGE_SIZE = 30
CONSOLE = "complaints.use_console"
# The largest id a bigint column holds; a larger number in the URL names no notification.
MAX_ID = 2**63 - 1


def _page(request: AuthenticatedRequest) -> HttpResponse:
    """The list (or, for htmx, the list region), keyset-paged by ``before`` (an id)."""
    rows = (
        Notification.objects.for_user(request.user)
        .select_related("complaint")
        .only("kind", "text", "created_at", "read_at", "complaint__reference")
    )
    before = request.GET.get("before", "")
    if before.isdigit() and int(before) <= MAX_ID:
        rows = rows.filter(pk__lt=int(before))
    page = list(rows.order_by("-id")[: PAGE_SIZE + 1])
    context = {
        "notifications": page[:PAGE_SIZE],
        "older": page[PAGE_SIZE - 1].pk if len(page) > PAGE_SIZE else None,
        "unread": unread_count(request.user),
    }
    template = "notifications/list.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#notifications"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@permission_required(CONSOLE)
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    return _page(request)


@require_GET
@permission_required(CONSOLE)
def unread_badge(request: AuthenticatedRequest) -> HttpResponse:
    """The header's count alone, refreshed by htmx after a change or on a timer."""
    return render(request, "notifications/_badge.html", {"unread": unread_count(request.user)})


def _after_marking(request: AuthenticatedRequest, message: str) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        response = _page(request)
        response["HX-Trigger"] = "notifications-changed"
        return response
    messages.success(request, message)
    return redirect("notification_list")


@require_POST
@vary_on_headers("HX-Request")
@permission_required(CONSOLE)
def read_one(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Mark one of the person's own notifications read; anyone else's is a 404."""
    notification = (
        Notification.objects.for_user(request.user).filter(pk=pk).first() if pk <= MAX_ID else None
    )
    if notification is None:
        raise Http404("No such notification.")
    mark_read(request.user, notification)
    return _after_marking(request, "Marked as read.")


@require_POST
@vary_on_headers("HX-Request")
@permission_required(CONSOLE)
def read_all(request: AuthenticatedRequest) -> HttpResponse:
    changed = mark_read(request.user)
    return _after_marking(
        request, f"{changed} notification{'' if changed == 1 else 's'} marked as read."
    )
