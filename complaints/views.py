from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from accounts.models import Role, User
from complaints import services
from complaints.forms import (
    AssignForm,
    CategoryForm,
    ComplaintActionForm,
    ComplaintForm,
    EmptyForm,
    EscalateForm,
    FindingsForm,
    HoldingResponseForm,
    IntakeForm,
    MergeForm,
    MessageForm,
    PriorityForm,
    RatingForm,
    ReferForm,
    RejectResolutionForm,
    ResolveForm,
    StatusForm,
    TeamForm,
)
from complaints.models import ACTIVE_STATUSES, Attachment, Complaint, ComplaintPolicy, Event, Status
from complaints.pagination import keyset_page
from complaints.services import ComplaintError

PAGE_SIZE = 25
OTHER_COMPLAINTS_SHOWN = 5


def get_complaint_for(request: AuthenticatedRequest, reference: str, permission: str) -> Complaint:
    """The complaint if the user may see it (else 404) and has ``permission`` on it (else 403)."""
    complaint = get_object_or_404(
        Complaint.objects.visible_to(request.user).select_related(
            "consumer",
            "category",
            "category__parent",
            "team",
            "assignee",
            "specialist",
            "root_cause",
            "merged_into",
        ),
        reference=reference,
    )
    if not request.user.has_perm(permission, complaint):
        raise PermissionDenied
    return complaint


def timeline(complaint: Complaint, user: Any) -> list[Event]:
    """The events ``user`` may read, with their files; internal ones only for staff."""
    events = complaint.events.select_related("actor")
    attachments = Attachment.objects.order_by("pk")
    if not user.has_perm("complaints.view_internal_notes"):
        events = events.filter(is_internal=False)
        attachments = attachments.filter(is_internal=False)
    return list(events.prefetch_related(Prefetch("attachments", queryset=attachments)))


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "complaints/landing.html")
    if request.user.has_perm("complaints.use_console"):
        return redirect("console_queue")
    return redirect("my_complaints")


# --- Actions on one complaint -----------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing a person can do to a complaint: its form, permission and service call."""

    form: type[ComplaintActionForm]
    permission: str
    run: Callable[[Complaint, dict[str, Any], User], object]
    done: str
    error_field: str | None = None


ACTIONS: dict[str, Action] = {
    "reply": Action(
        MessageForm,
        "complaints.reply_to_complaint",
        lambda c, data, user: services.reply_to_complaint(
            c, data["body"], actor=user, files=data["attachments"]
        ),
        "Your reply was sent.",
        "body",
    ),
    "note": Action(
        MessageForm,
        "complaints.add_internal_note",
        lambda c, data, user: services.add_internal_note(
            c, data["body"], actor=user, files=data["attachments"]
        ),
        "Internal note added.",
        "body",
    ),
    "status": Action(
        StatusForm,
        "complaints.change_status",
        lambda c, data, user: services.change_status(
            c, data["status"], actor=user, note=data["note"]
        ),
        "Status changed to {status}.",
        "status",
    ),
    "claim": Action(
        EmptyForm,
        "complaints.assign_complaint",
        lambda c, data, user: services.assign_complaint(c, user, actor=user),
        "The complaint is yours.",
    ),
    "assign": Action(
        AssignForm,
        "complaints.assign_complaint",
        lambda c, data, user: services.assign_complaint(c, data["assignee"], actor=user),
        "Assignment updated.",
    ),
    "team": Action(
        TeamForm,
        "complaints.assign_complaint",
        lambda c, data, user: services.move_to_team(c, data["team"], actor=user),
        "Moved to another queue.",
    ),
    "priority": Action(
        PriorityForm,
        "complaints.triage_complaint",
        lambda c, data, user: services.change_priority(c, data["priority"], actor=user),
        "Priority changed.",
    ),
    "category": Action(
        CategoryForm,
        "complaints.triage_complaint",
        lambda c, data, user: services.change_category(c, data["category"], actor=user),
        "Category changed.",
    ),
    "refer": Action(
        ReferForm,
        "complaints.refer_complaint",
        lambda c, data, user: services.refer_to_specialist(
            c, data["specialist"], data["note"], actor=user
        ),
        "Referred to the specialist.",
    ),
    "hand_back": Action(
        FindingsForm,
        "complaints.hand_back",
        lambda c, data, user: services.hand_back(c, data["findings"], actor=user),
        "Handed back with your findings.",
    ),
    "escalate": Action(
        EscalateForm,
        "complaints.escalate_complaint",
        lambda c, data, user: services.escalate_complaint(c, data["reason"], actor=user),
        "Escalated.",
    ),
    "resolve": Action(
        ResolveForm,
        "complaints.resolve_complaint",
        lambda c, data, user: services.resolve_complaint(
            c,
            outcome=data["outcome"],
            summary=data["summary"],
            root_cause=data["root_cause"],
            redress_amount=data["redress_amount"],
            redress_currency=data["redress_currency"],
            actor=user,
        ),
        "Resolution sent to the consumer.",
    ),
    "holding_response": Action(
        HoldingResponseForm,
        "complaints.resolve_complaint",
        lambda c, data, user: services.send_holding_response(
            c, data["reason"], data["expected"], actor=user
        ),
        "Holding response sent.",
    ),
    "merge": Action(
        MergeForm,
        "complaints.merge_complaint",
        lambda c, data, user: services.merge_complaint(c, data["target"], actor=user),
        "Closed as a duplicate.",
    ),
    "accept": Action(
        EmptyForm,
        "complaints.answer_resolution",
        lambda c, data, user: services.accept_resolution(c, actor=user),
        "Thank you. Your complaint is closed.",
    ),
    "reject": Action(
        RejectResolutionForm,
        "complaints.answer_resolution",
        lambda c, data, user: services.reject_resolution(c, data["reason"], actor=user),
        "We have reopened your complaint and will look at it again.",
    ),
    "rate": Action(
        RatingForm,
        "complaints.answer_resolution",
        lambda c, data, user: services.rate_complaint(
            c, data["score"], data["comment"], actor=user
        ),
        "Thank you for your feedback.",
    ),
}
PORTAL_ACTIONS = frozenset({"reply", "status", "accept", "reject", "rate"})
CONSOLE_ACTIONS = frozenset(ACTIONS) - {"accept", "reject", "rate"}

PORTAL_PAGE = "complaints/complaint_detail.html"
CONSOLE_PAGE = "complaints/console_complaint.html"


def _workspace(
    request: AuthenticatedRequest,
    complaint: Complaint,
    template: str,
    bound: dict[str, forms.Form] | None = None,
) -> HttpResponse:
    """A complaint page, or only its workspace region for an htmx request."""
    user = request.user
    actions = CONSOLE_ACTIONS if template == CONSOLE_PAGE else PORTAL_ACTIONS
    available = {name for name in actions if user.has_perm(ACTIONS[name].permission, complaint)}
    action_forms = {
        name: (bound or {}).get(name)
        or ACTIONS[name].form(complaint=complaint, auto_id=f"id_{name}_%s")
        for name in available
    }
    context: dict[str, Any] = {
        "complaint": complaint,
        "events": timeline(complaint, user),
        "forms": action_forms,
        "allowed_statuses": services.allowed_statuses(complaint, user),
        "deadlines": list(complaint.deadlines.all()),
        "now": timezone.now(),
    }
    if template == CONSOLE_PAGE:
        policy = ComplaintPolicy.current()
        context["at_risk_margin"] = timedelta(hours=policy.at_risk_hours)
        context["other_complaints"] = list(
            Complaint.objects.visible_to(user)
            .filter(consumer_id=complaint.consumer_id)
            .exclude(pk=complaint.pk)
            .only("reference", "subject", "status", "received_at")
            .order_by("-received_at")[:OTHER_COMPLAINTS_SHOWN]
        )
    else:
        context["reopen_until"] = services.reopen_window_ends(complaint)
    if request.htmx:  # type: ignore[attr-defined]
        template = f"{template}#workspace"
    return render(request, template, context)


def _perform(
    request: AuthenticatedRequest, reference: str, action: str, *, console: bool
) -> HttpResponse:
    names = CONSOLE_ACTIONS if console else PORTAL_ACTIONS
    if action not in names:
        raise Http404
    spec = ACTIONS[action]
    complaint = get_complaint_for(request, reference, spec.permission)
    template = CONSOLE_PAGE if console else PORTAL_PAGE
    form = spec.form(request.POST, request.FILES, complaint=complaint, auto_id=f"id_{action}_%s")
    if form.is_valid():
        try:
            spec.run(complaint, form.cleaned_data, request.user)
        except ComplaintError as error:
            form.add_error(spec.error_field, str(error))
        else:
            fresh = get_complaint_for(request, reference, "complaints.view_complaint")
            messages.success(request, spec.done.format(status=fresh.get_status_display()))
            if request.htmx:  # type: ignore[attr-defined]
                return _workspace(request, fresh, template)
            return redirect("console_complaint" if console else "complaint_detail", reference)
    return _workspace(request, complaint, template, {action: form})


@require_POST
@vary_on_headers("HX-Request")
@login_required
def portal_action(request: AuthenticatedRequest, reference: str, action: str) -> HttpResponse:
    return _perform(request, reference, action, console=False)


@require_POST
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_action(request: AuthenticatedRequest, reference: str, action: str) -> HttpResponse:
    return _perform(request, reference, action, console=True)


@require_GET
@login_required
def attachment_download(
    request: AuthenticatedRequest, reference: str, attachment_id: int
) -> FileResponse:
    """A file of a complaint, for those who may see the complaint (and internal files, staff)."""
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    attachment = get_object_or_404(complaint.attachments, pk=attachment_id)
    if attachment.is_internal and not request.user.has_perm("complaints.view_internal_notes"):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
    return render(request, "complaints/my_complaints.html", {"page": page, "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@permission_required("complaints.submit_complaint")
def new_complaint(request: AuthenticatedRequest) -> HttpResponse:
    form = ComplaintForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            details = dict(form.cleaned_data)
            complaint = services.submit_complaint(
                consumer=request.user,
                actor=request.user,
                files=details.pop("attachments"),
                **details,
            )
        except ComplaintError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Thank you. Your complaint is logged with reference {complaint.reference}. "
                "We have sent you an acknowledgement.",
            )
            return redirect("complaint_detail", reference=complaint.reference)
    return render(request, "complaints/new_complaint.html", {"form": form})


@require_GET
@vary_on_headers("HX-Request")
@login_required
def complaint_detail(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    if request.user.has_perm("complaints.use_console"):
        return redirect("console_complaint", reference=reference)
    return _workspace(request, complaint, PORTAL_PAGE)


# --- Agent console --------------------------------------------------------------------------

QUEUE_VIEWS = {
    "team": "My teams",
    "mine": "Assigned to me",
    "unassigned": "Unassigned",
    "at_risk": "At risk",
    "breached": "Breached",
}


@require_GET
@permission_required("complaints.use_console")
def console_queue(request: AuthenticatedRequest) -> HttpResponse:
    current = request.GET.get("view", "team")
    if current not in QUEUE_VIEWS:
        current = "team"
    views = dict(QUEUE_VIEWS)
    if request.user.role in (Role.MANAGER, Role.ADMIN):
        views["team"] = "All teams"
    now = timezone.now()
    queryset = Complaint.objects.visible_to(request.user).active().for_list()
    order_field = "received_at"
    if current == "mine":
        queryset = queryset.filter(assignee=request.user)
    elif current == "unassigned":
        queryset = queryset.filter(assignee__isnull=True)
    elif current == "at_risk":
        margin = timedelta(hours=ComplaintPolicy.current().at_risk_hours)
        queryset = queryset.filter(next_due_at__gte=now, next_due_at__lt=now + margin)
        order_field = "next_due_at"
    elif current == "breached":
        queryset = queryset.filter(next_due_at__lt=now)
        order_field = "next_due_at"
    status = request.GET.get("status", "")
    if status in Status.values:
        queryset = queryset.filter(status=status)
    page = keyset_page(
        queryset,
        field=order_field,
        after=request.GET.get("after"),
        size=PAGE_SIZE,
        descending=False,
    )
    return render(
        request,
        "complaints/console_queue.html",
        {
            "page": page,
            "views": views,
            "current_view": current,
            "status": status,
            "statuses": [(s.value, s.label) for s in ACTIVE_STATUSES],
            "now": now,
        },
    )


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_complaint(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    return _workspace(request, complaint, CONSOLE_PAGE)


@require_http_methods(["GET", "POST"])
@permission_required("complaints.log_on_behalf")
def console_intake(request: AuthenticatedRequest) -> HttpResponse:
    """Log a complaint received by phone, letter, e-mail or social media."""
    form = IntakeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            details = dict(form.cleaned_data)
            complaint = services.log_complaint_on_behalf(
                actor=request.user, files=details.pop("attachments"), **details
            )
        except ComplaintError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Complaint {complaint.reference} logged and acknowledged.")
            return redirect("console_complaint", reference=complaint.reference)
    return render(request, "complaints/console_intake.html", {"form": form})
