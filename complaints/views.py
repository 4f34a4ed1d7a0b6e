from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import parse_etags, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from accounts.middleware import full_page_redirect
from accounts.models import Role, User
from complaints import services
from complaints.actions import ACTIONS, Action
from complaints.forms import (
    BEST_MATCH,
    QUEUE_SORTS,
    BulkActionForm,
    CannedResponseForm,
    IntakeForm,
    MessageForm,
    QueueFilterForm,
)
from complaints.models import (
    Attachment,
    CannedResponse,
    Category,
    Complaint,
    ComplaintQuerySet,
    Event,
    LetterKind,
)
from complaints.pagination import KeysetPage, bounded_page, keyset_page
from complaints.plain_words import promised_deadline, promises
from complaints.portal_forms import GuidedComplaintForm
from complaints.presence import others_present, record_presence
from complaints.services import ComplaintError
from configuration.models import TenantSettings

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
    """The events ``user`` may read, with their files, through the one read path."""
    events = Event.objects.visible_to(user).filter(complaint=complaint).select_related("actor")
    attachments = Attachment.objects.visible_to(user).order_by("pk")
    return list(events.prefetch_related(Prefetch("attachments", queryset=attachments)))


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "complaints/landing.html")
    if request.user.has_perm("complaints.use_console"):
        return redirect("console_queue")
    return redirect("my_complaints")


# --- Actions on one complaint -----------------------------------------------------------------


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
        or ACTIONS[name].form(complaint=complaint, actor=user, auto_id=f"id_{name}_%s")
        for name in available
    }
    context: dict[str, Any] = {
        "complaint": complaint,
        "events": timeline(complaint, user),
        "forms": action_forms,
        "allowed_statuses": services.allowed_statuses(complaint, user),
        "deadlines": services.clocks_on_page(complaint),
        "says_in_progress": bool(
            services.complaint_regulator(complaint).clocks_met_by(LetterKind.IN_PROGRESS)
        ),
        "now": timezone.now(),
    }
    if template == CONSOLE_PAGE:
        context["other_complaints"] = list(
            Complaint.objects.visible_to(user)
            .filter(consumer_id=complaint.consumer_id)
            .exclude(pk=complaint.pk)
            .only("reference", "subject", "status", "received_at", "merged_into")
            .order_by("-received_at")[:OTHER_COMPLAINTS_SHOWN]
        )
        context["canned_responses"] = CannedResponse.objects.only("pk", "title")
        reply = action_forms.get("reply")
        record_presence(complaint, user, replying=bool(reply and reply["body"].value()))
        context["present"] = others_present(complaint, user)
    else:
        context["reopen_until"] = services.reopen_window_ends(complaint)
        context["promised"] = promised_deadline(row.deadline for row in context["deadlines"])
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
    page = "console_complaint" if console else "complaint_detail"
    form = spec.form(
        request.POST,
        request.FILES,
        complaint=complaint,
        actor=request.user,
        auto_id=f"id_{action}_%s",
    )
    if not form.is_valid():
        # Also in the messages region: the page may not show this action's form any more.
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return _workspace(request, complaint, template, {action: form})
    try:
        result = spec.run(complaint, form.cleaned_data, request.user)
    except ComplaintError as error:
        # A refusal goes to the messages region, which the page and the htmx workspace both
        # show: the form that carried the action may no longer be on the page (the complaint
        # moved on). The page is shown again, not redirected to, so typed text is kept.
        messages.error(request, str(error))
        fresh = get_complaint_for(request, reference, "complaints.view_complaint")
        return _workspace(request, fresh, template, {action: form})
    try:
        fresh = get_complaint_for(request, reference, "complaints.view_complaint")
    except Http404:
        # The change took the complaint out of the person's sight (a specialist handing back,
        # an agent moving it to another team): tell them, on a page they can see.
        complaint.refresh_from_db(fields=["status"])
        messages.success(request, _done(spec, result, complaint))
        return full_page_redirect(request, reverse("console_queue" if console else "my_complaints"))
    messages.success(request, _done(spec, result, fresh))
    if request.htmx:  # type: ignore[attr-defined]
        return _workspace(request, fresh, template)
    return redirect(page, reference)


def _done(spec: Action, result: Any, complaint: Complaint) -> str:
    """The confirmation of a successful action, in the complaint's new status."""
    return (
        spec.done(result)
        if callable(spec.done)
        else spec.done.format(status=complaint.get_status_display())
    )


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
    attachment = get_object_or_404(
        Attachment.objects.visible_to(request.user), complaint=complaint, pk=attachment_id
    )
    return attachment.download()


# --- Consumer portal ------------------------------------------------------------------------


@require_GET
@permission_required("complaints.submit_complaint")
def my_complaints(request: AuthenticatedRequest) -> HttpResponse:
    page = keyset_page(
        Complaint.objects.filter(consumer=request.user).for_list().with_promise(),
        field="received_at",
        after=request.GET.get("after"),
        size=PAGE_SIZE,
        descending=True,
    )
    return render(request, "complaints/my_complaints.html", {"page": page, "now": timezone.now()})


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@permission_required("complaints.submit_complaint")
def new_complaint(request: AuthenticatedRequest) -> HttpResponse:
    """The guided complaint form; an htmx GET with a product returns only its causes."""
    if request.method == "GET" and request.htmx:  # type: ignore[attr-defined]
        product_id = request.GET.get("product", "")
        product = (
            Category.objects.filter(pk=product_id, parent__isnull=True, is_active=True).first()
            if product_id.isdigit()
            else None
        )
        form = GuidedComplaintForm(product=product)
        return render(request, "complaints/new_complaint.html#causes", {"form": form})
    form = GuidedComplaintForm(request.POST or None, request.FILES or None)
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
    promised = promises(
        request.tenant.regulatory_profile,  # type: ignore[attr-defined]
        payment_services_offered=form.payment_services_offered,
    )
    return render(request, "complaints/new_complaint.html", {"form": form, "promises": promised})


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
QUEUE_PAGE = "complaints/console_queue.html"
QUEUE_POLL_SECONDS = 20
# What the queue says was done, per bulk action.
BULK_DONE = {
    "claim": "Assigned to you",
    "assign": "Assigned",
    "priority": "Priority changed",
    "merge": "Closed as duplicates",
}


def _queue_view(
    queryset: ComplaintQuerySet, view: str, user: User, now: datetime
) -> tuple[ComplaintQuerySet, str]:
    """The complaints of one queue tab, and the order it is read in by default."""
    if view == "mine":
        return queryset.filter(assignee=user), "received"
    if view == "unassigned":
        return queryset.filter(assignee__isnull=True), "received"
    if view == "at_risk":
        return queryset.at_risk(now, TenantSettings.current().at_risk_margin), "due"
    if view == "breached":
        return queryset.breached(now), "due"
    return queryset, "received"


def _queue_etag(page: KeysetPage[Complaint], params: dict[str, str]) -> str:
    """A fingerprint of the rows shown: which complaints, in which order, last changed when."""
    rows = ",".join(f"{row.pk}:{row.updated_at.timestamp()}" for row in page.rows)
    fingerprint = f"{sorted(params.items())}|{rows}|{page.next_cursor}"
    return f'W/"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"'


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_queue(request: AuthenticatedRequest) -> HttpResponse:
    """The work queues, filtered and searched; htmx polls the results region for changes."""
    user = request.user
    current = request.GET.get("view", "team")
    if current not in QUEUE_VIEWS:
        current = "team"
    views = dict(QUEUE_VIEWS)
    if user.role in (Role.MANAGER, Role.ADMIN):
        views["team"] = "All teams"
    now = timezone.now()
    filters = QueueFilterForm(request.GET, auto_id="id_filter_%s")
    queryset, default_sort = _queue_view(
        Complaint.objects.visible_to(user).active().for_list(), current, user, now
    )
    sort = filters.chosen_sort(default_sort)
    queryset = filters.apply(queryset, actor=user, now=now, sort=sort)
    params = {"view": current, **filters.query_params()}
    after = request.GET.get("after")
    if sort == BEST_MATCH:
        page = bounded_page(queryset, after=after, size=PAGE_SIZE)
    else:
        page = keyset_page(
            queryset, field=QUEUE_SORTS[sort], after=after, size=PAGE_SIZE, descending=False
        )
    if request.GET.get("after"):
        params["after"] = request.GET["after"]
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    etag = _queue_etag(page, params)
    if partial and etag in parse_etags(request.headers.get("If-None-Match", "")):
        unchanged = HttpResponseNotModified()
        unchanged["ETag"] = etag
        unchanged["HX-Reswap"] = "none"
        return unchanged
    query = urlencode({name: value for name, value in params.items() if name != "after"})
    context = {
        "page": page,
        "views": views,
        "current_view": current,
        "filters": filters,
        "query": query,
        "return_query": urlencode(params),
        "view_label": views[current],
        "poll_url": f"{reverse('console_queue')}?{urlencode(params)}",
        "poll_headers": json.dumps({"If-None-Match": etag}),
        "poll_seconds": QUEUE_POLL_SECONDS,
        "selected": set(request.GET.getlist("complaints")),
        "now": now,
    }
    if user.has_perm("complaints.bulk_update"):
        context["bulk_form"] = BulkActionForm(user=user, auto_id="id_bulk_%s")
    response = render(request, f"{QUEUE_PAGE}#results" if partial else QUEUE_PAGE, context)
    if partial:
        response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


def _queue_url(query: str) -> str:
    """Back to the queue with the filters and page the person was looking at."""
    params = QueryDict(query).urlencode()
    return f"{reverse('console_queue')}?{params}" if params else reverse("console_queue")


@require_POST
@permission_required("complaints.bulk_update")
def console_bulk(request: AuthenticatedRequest) -> HttpResponse:
    """Apply one action to each selected complaint through its own permission check and service.

    Each complaint succeeds or fails on its own; a refused one is left exactly as it was.
    """
    user = request.user
    back = _queue_url(request.POST.get("query", ""))
    form = BulkActionForm(request.POST, user=user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    action = form.cleaned_data["action"]
    spec = ACTIONS[action]
    references = form.cleaned_data["complaints"]
    found = {
        complaint.reference: complaint
        for complaint in Complaint.objects.visible_to(user)
        .select_related("consumer", "team", "assignee")
        .filter(reference__in=references)
    }
    done, refused = [], []
    for reference in references:
        complaint = found.get(reference)
        if complaint is None:
            refused.append(f"{reference}: not found among the complaints you can see.")
            continue
        if not user.has_perm(spec.permission, complaint):
            refused.append(f"{reference}: you may not change this complaint.")
            continue
        try:
            spec.run(complaint, form.cleaned_data, user)
        except ComplaintError as error:
            refused.append(f"{reference}: {error}")
        else:
            done.append(reference)
    if done:
        messages.success(request, f"{BULK_DONE[action]}: {', '.join(done)}.")
    for line in refused:
        messages.error(request, f"Not changed — {line}")
    return redirect(back)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_complaint(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    return _workspace(request, complaint, CONSOLE_PAGE)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_presence(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Who else is on this complaint (GET, polled), or the reply box's beacon (POST)."""
    complaint = get_complaint_for(request, reference, "complaints.view_complaint")
    if request.method == "POST":
        record_presence(
            complaint, request.user, replying=bool(request.POST.get("body", "").strip())
        )
        return HttpResponse(status=204)
    record_presence(complaint, request.user)
    context = {"complaint": complaint, "present": others_present(complaint, request.user)}
    return render(request, f"{CONSOLE_PAGE}#presence", context)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_canned_fill(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """The reply box filled from a canned response: the box alone for htmx, else the page."""
    complaint = get_complaint_for(request, reference, "complaints.reply_to_complaint")
    canned = get_object_or_404(CannedResponse, pk=_int_or_none(request.GET.get("canned")))
    text = canned.fill(complaint, request.user)
    reply = MessageForm(initial={"body": text}, complaint=complaint, auto_id="id_reply_%s")
    if request.htmx:  # type: ignore[attr-defined]
        record_presence(complaint, request.user, replying=True)
        return render(request, f"{CONSOLE_PAGE}#reply_body", {"form": reply})
    return _workspace(request, complaint, CONSOLE_PAGE, {"reply": reply})


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@require_http_methods(["GET", "POST"])
@permission_required("complaints.manage_canned_responses")
def canned_responses(request: AuthenticatedRequest) -> HttpResponse:
    """The tenant's canned responses, and a form to add one."""
    form = CannedResponseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            canned = services.save_canned_response(None, actor=request.user, **form.cleaned_data)
        except ComplaintError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, f"Canned response “{canned.title}” added.")
            return redirect("canned_responses")
    return render(
        request,
        "complaints/console_canned_responses.html",
        {"form": form, "canned_responses": CannedResponse.objects.all()},
    )


@require_http_methods(["GET", "POST"])
@permission_required("complaints.manage_canned_responses")
def canned_response_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    canned = get_object_or_404(CannedResponse, pk=pk)
    if request.method == "POST" and "delete" in request.POST:
        services.delete_canned_response(canned, actor=request.user)
        messages.success(request, f"Canned response “{canned.title}” deleted.")
        return redirect("canned_responses")
    form = CannedResponseForm(request.POST or None, instance=canned)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_canned_response(canned, actor=request.user, **form.cleaned_data)
        except ComplaintError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, f"Canned response “{canned.title}” saved.")
            return redirect("canned_responses")
    return render(
        request, "complaints/console_canned_response.html", {"form": form, "canned": canned}
    )


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
