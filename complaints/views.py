from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from complaints.forms import ComplaintForm, MessageForm, StatusForm
from complaints.models import Complaint, Event, Status
from complaints.pagination import keyset_page
from complaints.services import (
    ComplaintError,
    add_internal_note,
    allowed_statuses,
    change_status,
    reply_to_complaint,
    submit_complaint,
)

PAGE_SIZE = 25


def get_complaint_for(request: AuthenticatedRequest, reference: str, permission: str) -> Complaint:
    """The complaint if the user may see it (else 404) and has ``permission`` on it (else 403)."""
    complaint = get_object_or_404(
        Complaint.objects.visible_to(request.user).select_related(
            "consumer", "category", "category__parent", "team", "assignee", "specialist"
        ),
        reference=reference,
    )
    if not request.user.has_perm(permission, complaint):
        raise PermissionDenied
    return complaint


def timeline(complaint: Complaint, user: Any) -> list[Event]:
    """The events ``user`` may read, internal notes only for staff."""
    events = complaint.events.select_related("actor")
    if not user.has_perm("complaints.view_internal_notes"):
        events = events.filter(is_internal=False)
    return list(events)


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "complaints/landing.html")
    if request.user.has_perm("complaints.use_console"):
        return redirect("console_queue")
    return redirect("my_complaints")


# --- Consumer portal ------------------------------------------------------------------------


@require_GET
@permission_required("complaints.submit_complaint")
def my_complaints(request: AuthenticatedRequest) -> HttpResponse:
    page = keyset_page(
        Complaint.objects.filter(consumer=request.user).for_list(),
        field="received_at",
        after=request.GET.get("after"),
        size=PAGE_SIZE,
        descending=True,
    )
    return render(request, "complaints/my_complaints.html", {"page": page})


@require_http_methods(["GET", "POST"])
@permission_required("complaints.submit_complaint")
def new_complaint(request: AuthenticatedRequest) -> HttpResponse:
    form = ComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            complaint = submit_complaint(
                consumer=request.user,
                actor=request.user,
                **form.cleaned_data,
            )
        except ComplaintError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Thank you. Your complaint is logged with reference {complaint.reference}.",
            )
            return redirect("complaint_detail", reference=complaint.reference)
    return render(request, "complaints/new_complaint.html", {"form": form})


def _conversation(
    request: AuthenticatedRequest, complaint: Complaint, template: str, **forms: Any
) -> HttpResponse:
    """Render a complaint page, or only its conversation region for an htmx request."""
    context = {
        "complaint": complaint,
        "events": timeline(complaint, request.user),
        "reply_form": forms.get("reply_form") or MessageForm(),
        "note_form": forms.get("note_form") or MessageForm(),
        "status_form": forms.get("status_form") or StatusForm(),
        "allowed_statuses": allowed_statuses(complaint, request.user),
        "can_reply": request.user.has_perm("complaints.reply_to_complaint", complaint),
        "can_note": request.user.has_perm("complaints.add_internal_note", complaint),
    }
    if request.htmx:  # type: ignore[attr-defined]
        template = f"{template}#conversation"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@login_required
def complaint_detail(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    if request.user.has_perm("complaints.use_console"):
        return redirect("console_complaint", reference=reference)
    return _conversation(request, complaint, "complaints/complaint_detail.html")


# --- Changes shared by the portal and the console ------------------------------------------


def _after_change(
    request: AuthenticatedRequest, complaint: Complaint, template: str
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        return _conversation(request, complaint, template)
    in_console = request.user.has_perm("complaints.use_console")
    return redirect(
        "console_complaint" if in_console else "complaint_detail", reference=complaint.reference
    )


def _template_for(request: AuthenticatedRequest) -> str:
    if request.user.has_perm("complaints.use_console"):
        return "complaints/console_complaint.html"
    return "complaints/complaint_detail.html"


@require_POST
@vary_on_headers("HX-Request")
@login_required
def post_reply(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.reply_to_complaint")
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            reply_to_complaint(complaint, form.cleaned_data["body"], actor=request.user)
        except ComplaintError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, "Your reply was sent.")
            return _after_change(request, complaint, _template_for(request))
    return _conversation(request, complaint, _template_for(request), reply_form=form)


@require_POST
@vary_on_headers("HX-Request")
@login_required
def post_note(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.add_internal_note")
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            add_internal_note(complaint, form.cleaned_data["body"], actor=request.user)
        except ComplaintError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, "Internal note added.")
            return _after_change(request, complaint, _template_for(request))
    return _conversation(request, complaint, _template_for(request), note_form=form)


@require_POST
@vary_on_headers("HX-Request")
@login_required
def post_status(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.change_status")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            change_status(
                complaint,
                form.cleaned_data["status"],
                actor=request.user,
                note=form.cleaned_data["note"],
            )
        except ComplaintError as error:
            form.add_error("status", str(error))
        else:
            messages.success(request, f"Status changed to {complaint.get_status_display()}.")
            return _after_change(request, complaint, _template_for(request))
    return _conversation(request, complaint, _template_for(request), status_form=form)


# --- Agent console --------------------------------------------------------------------------

QUEUE_VIEWS = {
    "team": "My teams",
    "mine": "Assigned to me",
    "unassigned": "Unassigned",
}


@require_GET
@permission_required("complaints.use_console")
def console_queue(request: AuthenticatedRequest) -> HttpResponse:
    current = request.GET.get("view", "team")
    if current not in QUEUE_VIEWS:
        current = "team"
    queryset = Complaint.objects.visible_to(request.user).active().for_list()
    if current == "mine":
        queryset = queryset.filter(assignee=request.user)
    elif current == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    status = request.GET.get("status", "")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    page = keyset_page(
        queryset,
        field="received_at",
        after=request.GET.get("after"),
        size=PAGE_SIZE,
        descending=False,
    )
    return render(
        request,
        "complaints/console_queue.html",
        {
            "page": page,
            "views": QUEUE_VIEWS,
            "current_view": current,
            "status": status,
            "statuses": Status.choices,
            "queue_url": reverse("console_queue"),
        },
    )


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_complaint(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    return _conversation(request, complaint, "complaints/console_complaint.html")
