from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from cachetools import TTLCache
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, Window
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import parse_etags, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from accounts.directory import STAFF, is_row_id
from accounts.middleware import full_page_redirect, returns_to
from accounts.models import Role, User
from complaints import services
from complaints.actions import ACTIONS, Action
from complaints.drafts import discard_draft, drafts_for, save_draft
from complaints.formatting import markdown_to_plain
from complaints.forms import (
    BEST_MATCH,
    QUEUE_SORTS,
    BulkActionForm,
    CannedResponseForm,
    HoldingResponseForm,
    IntakeForm,
    MessageForm,
    QueueFilterForm,
    RenameViewForm,
    ResolveForm,
    SavedViewForm,
)
from complaints.fragments import render_fragment, render_page, static_url, url
from complaints.letters import preview_letter
from complaints.models import (
    QUEUE_COLUMNS,
    TEXT_MAX_LENGTH,
    Attachment,
    CannedResponse,
    Category,
    Complaint,
    ComplaintQuerySet,
    Draft,
    Event,
    EventQuerySet,
    LetterKind,
    Outcome,
    ResolutionProposal,
    SavedView,
    attach_related,
    canned_response_titles,
    saved_views_of,
)
from complaints.money import format_amount
from complaints.pagination import KeysetPage, bounded_page, keyset_page
from complaints.placeholders import CANNED_RESPONSE_PLACEHOLDERS, PlaceholderError
from complaints.plain_words import promised_deadline, promises
from complaints.portal_forms import GuidedComplaintForm
from complaints.presence import record_presence
from complaints.services import ComplaintError
from complaints.services.notices import staff_digest
from complaints.text import clean_text
from configuration.cache import fingerprint
from configuration.models import TenantSettings
from tenancy import current as current_tenancy

PAGE_SIZE = 25
OTHER_COMPLAINTS_SHOWN = 5


def get_complaint_for(
    request: AuthenticatedRequest, reference: str, permission: str, *, shown: bool = False
) -> Complaint:
    """The complaint if the user may see it (else 404) and has ``permission`` on it (else 403).

    ``shown``: only to show it (a page, not an action): its category, team, assignee and
    specialist come from the tenant's configuration cache (``ComplaintQuerySet.for_list``'s
    rows, shared read-only instances) instead of joins, which took PostgreSQL longer to plan
    (about 1.2 ms) than to run. An action reads them from the database (it may follow them,
    e.g. to a team's manager). Neither reads the search vectors.
    """
    complaint = get_object_or_404(
        Complaint.objects.visible_to(request.user).for_page(shown=shown), reference=reference
    )
    if not request.user.has_perm(permission, complaint):
        raise PermissionDenied
    return complaint


# The newest timeline entries a complaint page shows; older ones come on request, so many
# at a time.
TIMELINE_SHOWN = 20
TIMELINE_PAGE = 100


def timeline_events(complaint: Complaint, user: Any) -> EventQuerySet:
    """The events ``user`` may read on ``complaint`` and on the duplicates merged into it
    (their correspondence and files are the survivor's evidence), through the one read path."""
    # Of the complaint and those merged into it, as a subquery (its primary key and the
    # merged-into index), so the events are read through the timeline index.
    threads = Complaint.objects.filter(Q(pk=complaint.pk) | Q(merged_into=complaint))
    return Event.objects.on_threads(threads, user)


def _with_actors_and_threads(complaint: Complaint, events: list[Event]) -> None:
    """Give each of ``events`` its actor and complaint as ``select_related`` would, without
    joins (which took PostgreSQL longer to plan than to run): the consumer and the complaint
    from the page, staff from the tenant's configuration cache (``STAFF``, shared read-only
    instances), and the complaints merged into this one from one query when any is shown."""
    people: dict[int, Any] = {complaint.consumer_id: complaint.consumer}
    if actors := {e.actor_id for e in events if e.actor_id is not None} - people.keys():
        people.update(STAFF.by_id(actors))
    threads: dict[int, Complaint] = {complaint.pk: complaint}
    if merged := {e.complaint_id for e in events} - threads.keys():
        threads.update(Complaint.objects.only("reference").in_bulk(merged))
    if events:
        attach_related(events, "actor", people)
        attach_related(events, "complaint", threads)


def timeline(
    complaint: Complaint, user: Any, *, before: Event | None = None, shown: int = TIMELINE_SHOWN
) -> tuple[list[Event], int]:
    """The newest ``shown`` events ``user`` may read (older than ``before`` when given), oldest
    first and with their files, and how many older ones there are: counted by the same
    statement (a window over every entry it reads), so a long thread costs no second query
    nor a second visibility subquery to build and plan."""
    events = timeline_events(complaint, user)
    if before is not None:
        events = events.filter(
            Q(created_at__lt=before.created_at) | Q(created_at=before.created_at, pk__lt=before.pk)
        )
    # The entries were read through the visibility rule; their files need only the internal one.
    attachments = Attachment.objects.downloadable_by(user).order_by("pk")
    newest = list(
        events.annotate(thread_length=Window(Count("pk")))
        .order_by("-created_at", "-pk")
        .prefetch_related(Prefetch("attachments", queryset=attachments, to_attr="files"))[
            : shown + 1
        ]
    )
    _with_actors_and_threads(complaint, newest)
    earlier = 0
    if len(newest) > shown:
        earlier = newest[0].thread_length - shown  # type: ignore[attr-defined]
        newest = newest[:shown]
    return newest[::-1], earlier


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
# The console's complaint page and its workspace (Jinja2, in the site's layout).
CONSOLE_PAGE = CONSOLE_WORKSPACE = "complaints/console_workspace.jinja"


def console_script() -> SafeString:
    """The console pages' script (keyboard shortcuts, selection), placed after their content."""
    return format_html('<script src="{}" defer></script>', static_url("js/console.js"))


# The boxes whose text is kept as a draft, by action.
DRAFT_BOXES = {"reply": Draft.Box.REPLY, "note": Draft.Box.NOTE}
# How long a form's token is remembered (seconds): a second send of the form within it is
# the same send.
FORM_TOKEN_SECONDS = 24 * 60 * 60


def _action_url(template: str, reference: str, action: str) -> str:
    name = "console_action" if template == CONSOLE_PAGE else "portal_action"
    return url(name, reference, action)


def _box_urls(template: str, reference: str, action: str) -> list[str]:
    """The addresses that take the text of a box: its draft beacon, then its action (text
    sent is newer than text saved while typing)."""
    if template == CONSOLE_PAGE:
        draft = url("console_draft", reference, action)
    else:
        draft = url("portal_draft", reference)
    return [draft, _action_url(template, reference, action)]


# The console's folded actions whose forms a page does not render: each is fetched when its
# fold is first opened (``console_action_form``), unless it is bound (refused, or just done) or
# named by ``opened``. Of those, the page does not even build the forms but ``BUILT_FOLDED``'s.
# The rest of the page's forms are most of its work otherwise.
LAZY_FOLDS = frozenset(
    {
        "resolve",
        "assign",
        "team",
        "priority",
        "category",
        "refer",
        "escalate",
        "in_progress",
        "holding_response",
        "merge",
    }
)
# "Send and resolve" in the reply box takes its choices from the resolve form.
BUILT_FOLDED = frozenset({"resolve"})


def _action_form(
    name: str, complaint: Complaint, user: User, initial: dict[str, Any], *, shown: bool = False
) -> Any:
    """The unbound form of action ``name`` on ``complaint`` for ``user``. ``shown`` (it will
    be rendered, not only read): the resolve form starts from the resolution a manager
    returned, if that is what is being revised (a query, made only then)."""
    if shown and name == "resolve":
        initial = {**_returned_resolution(complaint), **initial}
    return ACTIONS[name].form(
        complaint=complaint, actor=user, auto_id=f"id_{name}_%s", initial=initial
    )


def _returned_resolution(complaint: Complaint) -> dict[str, Any]:
    """The fields of the resolution a manager last returned with a comment, when it is the
    complaint's latest proposal, none waits for approval and the complaint has not been
    resolved since: revising it then starts from what was proposed (its outcome is never
    left to a default). Empty otherwise."""
    latest = complaint.resolution_proposals.order_by("-pk").first()
    if latest is None or latest.decision != ResolutionProposal.Decision.RETURNED:
        return {}
    resolved, returned = complaint.resolved_at, latest.decided_at
    if resolved is not None and returned is not None and resolved > returned:
        return {}
    return {
        "outcome": latest.outcome,
        "root_cause": latest.root_cause_id,
        "summary": latest.summary,
        "redress_amount": "" if latest.redress_amount is None else str(latest.redress_amount),
        "redress_currency": latest.redress_currency,
    }


def _workspace(
    request: AuthenticatedRequest,
    complaint: Complaint,
    template: str,
    bound: dict[str, forms.Form] | None = None,
    *,
    acted: str = "",
    opened: str = "",
) -> HttpResponse:
    """A complaint page, or only its workspace region for an htmx request.

    The action forms carry the newest timeline entry shown (the version the person sees) and
    the reply and note boxes are filled from the person's drafts. ``acted`` names the action
    just done, so its confirmation is shown and focused beside its form; ``opened`` a folded
    action shown open with its form (the page a fold links to without JavaScript).
    """
    user = request.user
    actions = CONSOLE_ACTIONS if template == CONSOLE_PAGE else PORTAL_ACTIONS
    available = {name for name in actions if user.has_perm(ACTIONS[name].permission, complaint)}
    built = available - (LAZY_FOLDS - BUILT_FOLDED - {opened} - (bound or {}).keys())
    everything = request.GET.get("timeline") == "all"
    events, earlier = timeline(complaint, user, shown=10_000 if everything else TIMELINE_SHOWN)
    version = max((event.pk for event in events), default=0)
    boxes = {
        address: box
        for name, box in DRAFT_BOXES.items()
        if name in available and name not in (bound or {})
        for address in _box_urls(template, complaint.reference, name)
    }
    drafts = drafts_for(user, complaint, request.session, boxes) if boxes else {}
    action_forms: dict[str, Any] = {}
    for name in built:
        form: Any = (bound or {}).get(name)
        if form is None:
            initial: dict[str, Any] = {"seen": version}
            if name in DRAFT_BOXES and drafts.get(DRAFT_BOXES[name]):
                initial["body"] = drafts[DRAFT_BOXES[name]]
            form = _action_form(name, complaint, user, initial, shown=name == opened)
        else:
            # The page now shows the complaint as it is: sending the form again acts on it.
            form.data = form.data.copy()
            form.data["seen"] = str(version)
        action_forms[name] = form
    reply, resolve = action_forms.get("reply"), action_forms.get("resolve")
    if (
        reply is not None
        and resolve is not None
        and hasattr(reply, "offer_resolution")
        and complaint.status in services.RESOLVABLE
        and complaint.open_proposal is None
    ):
        # "Send and resolve" beside the reply, where the person may resolve now.
        reply.offer_resolution(resolve)
    context: dict[str, Any] = {
        "complaint": complaint,
        "timeline_entries": timeline_entries(request, complaint, events, earlier),
        "version": version,
        "acted": acted,
        "acted_url": _action_url(template, complaint.reference, acted) if acted else "",
        "forms": action_forms,
        "available": available,
        "opened": opened,
        "lazy_folds": LAZY_FOLDS,
        "reassigns": user.has_perm("complaints.reassign_complaints"),
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
        context["canned_responses"] = canned_response_titles()
        running = [
            row
            for row in context["deadlines"]
            if row.deadline.enforced and not row.deadline.met_at and not row.deadline.stopped_at
        ]
        context["next_deadline"] = min(running, key=lambda row: row.deadline.due_at, default=None)
        reply = action_forms.get("reply")
        replying = bool(reply and reply["body"].value())
        context["present"] = record_presence(complaint, user, replying=replying)
    else:
        context["reopen_until"] = services.reopen_window_ends(complaint)
    # The one date the consumer is promised: the portal says it, the console shows it.
    context["promised"] = promised_deadline(row.deadline for row in context["deadlines"])
    htmx = request.htmx  # type: ignore[attr-defined]
    if template == CONSOLE_PAGE:
        # The console's workspace in Jinja2: Django's engine took a third of the page's
        # processor time for its many forms and conditions.
        context.update(
            csrf_input=csrf_input(request),
            htmx=bool(htmx),
            messages=get_messages(request),
        )
        if htmx:
            return HttpResponse(render_fragment(CONSOLE_WORKSPACE, context, "workspace"))
        return render_page(
            request,
            render_fragment(CONSOLE_WORKSPACE, context, "page_content"),
            title=complaint.reference,
            extra_body=console_script(),
        )
    if htmx:
        template = f"{template}#workspace"
    return render(request, template, context)


def _checked_version(action: str, form: forms.Form, user: User, complaint: Complaint) -> Any:
    """The version check an action makes (``unchanged_since``): none for an internal note,
    which never conflicts; newer messages only for a staff reply; everything else for the
    rest, and for every consumer action."""
    seen = form.cleaned_data.get("seen")
    if action == "note":
        seen = None
    staff_reply = action == "reply" and user.pk != complaint.consumer_id
    return services.unchanged_since(complaint, seen, actor=user, only_messages=staff_reply)


def _claim_token(user: User, form: forms.Form) -> bool:
    """False when this very form was sent already (a double click, a resend)."""
    token = form.cleaned_data.get("token")
    return not token or cache.add(f"form-token:{user.pk}:{token}", 1, FORM_TOKEN_SECONDS)


def _release_token(user: User, form: forms.Form) -> None:
    """The send failed: the same form may be sent again."""
    token = form.cleaned_data.get("token")
    if token:
        cache.delete(f"form-token:{user.pk}:{token}")


def _perform(
    request: AuthenticatedRequest, reference: str, action: str, *, console: bool
) -> HttpResponse:
    names = CONSOLE_ACTIONS if console else PORTAL_ACTIONS
    if action not in names:
        raise Http404
    spec = ACTIONS[action]
    user = request.user
    complaint = get_complaint_for(request, reference, spec.permission)
    template = CONSOLE_PAGE if console else PORTAL_PAGE
    page = "console_complaint" if console else "complaint_detail"
    form = spec.form(
        request.POST,
        request.FILES,
        complaint=complaint,
        actor=user,
        auto_id=f"id_{action}_%s",
    )
    if not form.is_valid():
        # Also in the messages region: the page may not show this action's form any more.
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
        return _workspace(request, complaint, template, {action: form}, acted=action)
    if not _claim_token(user, form):
        messages.info(request, "That was sent already; it was not sent twice.")
        return _after_action(request, reference, template, page, action)
    try:
        with _checked_version(action, form, user, complaint):
            result = spec.run(complaint, form.cleaned_data, user)
    except ComplaintError as error:
        # A refusal is shown beside the form, which keeps the typed text: the page is shown
        # again, not redirected to, and the text is kept as a draft too.
        _release_token(user, form)
        messages.error(request, str(error))
        fresh = get_complaint_for(request, reference, "complaints.view_complaint")
        if action in DRAFT_BOXES:
            save_draft(user, fresh, DRAFT_BOXES[action], form.cleaned_data["body"])
        return _workspace(request, fresh, template, {action: form}, acted=action)
    if action in DRAFT_BOXES:
        discard_draft(user, complaint, DRAFT_BOXES[action])
    try:
        fresh = get_complaint_for(request, reference, "complaints.view_complaint", shown=True)
    except Http404:
        # The change took the complaint out of the person's sight (a specialist handing back,
        # an agent moving it to another team): tell them, on a page they can see.
        complaint.refresh_from_db(fields=["status"])
        done = _done(spec, result, complaint)
        if console:
            done = f"{done} {complaint.reference} is no longer in your queues."
        messages.success(request, done)
        return full_page_redirect(request, reverse("console_queue" if console else "my_complaints"))
    messages.success(request, _done(spec, result, fresh))
    return _after_action(request, reference, template, page, action, fresh)


def _after_action(
    request: AuthenticatedRequest,
    reference: str,
    template: str,
    page: str,
    action: str,
    complaint: Complaint | None = None,
) -> HttpResponse:
    """The page after a done action: the workspace for htmx (its message beside the form),
    else a redirect to the page."""
    if request.htmx:  # type: ignore[attr-defined]
        fresh = complaint or get_complaint_for(
            request, reference, "complaints.view_complaint", shown=True
        )
        return _workspace(request, fresh, template, acted=action)
    return redirect(page, reference)


def _done(spec: Action, result: Any, complaint: Complaint) -> str:
    """The confirmation of a successful action, in the complaint's new status."""
    return (
        spec.done(result)
        if callable(spec.done)
        else spec.done.format(status=complaint.get_status_display())
    )


def _console_page(reference: str, **_: Any) -> str:
    return reverse("console_complaint", args=[reference])


def _portal_page(reference: str, **_: Any) -> str:
    return reverse("complaint_detail", args=[reference])


@returns_to(_portal_page, keeps=("body",))
@require_POST
@vary_on_headers("HX-Request")
@login_required
def portal_action(request: AuthenticatedRequest, reference: str, action: str) -> HttpResponse:
    return _perform(request, reference, action, console=False)


@returns_to(_console_page, keeps=("body",))
@require_POST
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_action(request: AuthenticatedRequest, reference: str, action: str) -> HttpResponse:
    return _perform(request, reference, action, console=True)


@returns_to(_portal_page, keeps=("body",), quiet=True)
@require_POST
@login_required
def portal_draft(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """The consumer's reply box, saved as a draft while they type."""
    complaint = get_complaint_for(request, reference, "complaints.reply_to_complaint")
    save_draft(request.user, complaint, Draft.Box.REPLY, request.POST.get("body", ""))
    return HttpResponse(status=204)


@returns_to(_console_page, keeps=("body",), quiet=True)
@require_POST
@permission_required("complaints.use_console")
def console_draft(request: AuthenticatedRequest, reference: str, box: str) -> HttpResponse:
    """A reply or note box, saved as a draft while the person types; a reply box with text
    also tells colleagues on the complaint that this person is replying."""
    if box not in DRAFT_BOXES:
        raise Http404
    complaint = get_complaint_for(request, reference, ACTIONS[box].permission)
    body = request.POST.get("body", "")
    save_draft(request.user, complaint, DRAFT_BOXES[box], body)
    if box == "reply":
        record_presence(complaint, request.user, replying=bool(body.strip()))
    return HttpResponse(status=204)


# The letters a console page previews, by the action that sends them, and who may see them.
PREVIEWED = {
    "resolve": "complaints.resolve_complaint",
    # "Send and resolve" in the reply box: its summary, when left empty, is the reply.
    "send_and_resolve": "complaints.resolve_complaint",
    "holding_response": "complaints.resolve_complaint",
    "approve_resolution": "complaints.approve_resolution",
}


def _resolution_values(
    outcome: str, summary: str, amount: Decimal | None, currency: str
) -> dict[str, str]:
    """The letter's placeholders for a resolution not yet recorded."""
    currency = (currency or TenantSettings.current().currency).upper()
    return {
        "outcome": Outcome(outcome).label.lower() if outcome else "",
        "resolution_summary": markdown_to_plain(summary),
        "redress": format_amount(amount, currency) if amount else "none",
    }


@returns_to(_console_page)
@require_POST
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_letter_preview(
    request: AuthenticatedRequest, reference: str, action: str
) -> HttpResponse:
    """The letter an action would send, exactly, from what is typed in its form (or, for the
    approving manager, from the resolution waiting for approval); nothing is changed."""
    if action not in PREVIEWED:
        raise Http404
    complaint = get_complaint_for(request, reference, PREVIEWED[action])
    tenant = request.tenant  # type: ignore[attr-defined]
    values: dict[str, str] = {}
    if action == "holding_response":
        holding = HoldingResponseForm(request.POST, complaint=complaint)
        holding.is_valid()
        expected = holding.cleaned_data.get("expected")
        values = {
            "holding_reason": holding.cleaned_data.get("reason", "").strip().rstrip("."),
            "expected_date": expected.strftime("%-d %B %Y") if expected else "",
        }
        kind = LetterKind.HOLDING_RESPONSE
    else:
        if action in ("resolve", "send_and_resolve"):
            resolve = ResolveForm(request.POST, complaint=complaint)
            resolve.is_valid()
            data = resolve.cleaned_data
            summary = data.get("summary", "")
            if not summary and action == "send_and_resolve":
                summary = clean_text(request.POST.get("body", ""))[:TEXT_MAX_LENGTH]
            values = _resolution_values(
                data.get("outcome", ""),
                summary,
                data.get("redress_amount"),
                data.get("redress_currency", ""),
            )
        elif (proposal := complaint.open_proposal) is not None:
            values = _resolution_values(
                proposal.outcome,
                proposal.summary,
                proposal.redress_amount,
                proposal.redress_currency,
            )
        kind = services.resolution_letter(complaint, timezone.now())
    preview = preview_letter(complaint, tenant, kind, **values)
    context = {"complaint": complaint, "preview": preview, "action": action}
    template = "complaints/console_letter_preview.html"
    return render(request, f"{template}#letter" if request.htmx else template, context)  # type: ignore[attr-defined]


def timeline_entries(
    request: AuthenticatedRequest,
    complaint: Complaint,
    events: list[Event],
    earlier: int,
    *,
    focused: bool = False,
) -> SafeString:
    """The timeline's entries (``jinja2/complaints/timeline_entries.jinja``) as HTML: oldest
    first, after a link to the ``earlier`` ones. ``focused``: the first entry takes the focus
    when htmx puts it in the page (it replaces the link that was focused)."""
    return render_fragment(
        "complaints/timeline_entries.jinja",
        {
            "complaint": complaint,
            "events": events,
            "earlier": earlier,
            "focused": focused,
            "user": request.user,
            "tenant_name": request.tenant.name,  # type: ignore[attr-defined]
            "earlier_url": url("timeline_earlier", complaint.reference),
            "attachment_url": lambda reference, pk: url("attachment_download", reference, pk),
        },
    )


@require_GET
@login_required
def timeline_earlier(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """The timeline entries older than entry ``before``, for a page's "show earlier" link."""
    complaint = get_complaint_for(request, reference, "complaints.view_complaint", shown=True)
    before = get_object_or_404(
        timeline_events(complaint, request.user), pk=_int_or_none(request.GET.get("before"))
    )
    events, earlier = timeline(complaint, request.user, before=before, shown=TIMELINE_PAGE)
    return HttpResponse(timeline_entries(request, complaint, events, earlier, focused=True))


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
            if is_row_id(product_id)
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
    complaint = get_complaint_for(request, reference, "complaints.view_complaint", shown=True)
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
    "approval": "Awaiting my approval",
}
# Tabs only some people have, and the permission each needs.
QUEUE_VIEW_PERMISSIONS = {"approval": "complaints.approve_resolutions"}
# A view's count reads at most this many rows (shown as "1000+" beyond), and is kept briefly.
VIEW_COUNT_CAP = 1000
VIEW_COUNT_SECONDS = 60
QUEUE_CONTENT = "complaints/console_queue.jinja"
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
    if view == "approval":
        waiting = ResolutionProposal.objects.open().values("complaint_id")
        return queryset.filter(pk__in=waiting), "received"
    return queryset, "received"


@dataclass
class Queue:
    """One queue as a person asked for it: the tab, the filters and the order."""

    view: str
    filters: QueueFilterForm
    queryset: ComplaintQuerySet
    sort: str
    params: dict[str, str]


def queue_views(user: User) -> dict[str, str]:
    """The queue tabs ``user`` has, by key, with their labels."""
    views = {
        key: label
        for key, label in QUEUE_VIEWS.items()
        if key not in QUEUE_VIEW_PERMISSIONS or user.has_perm(QUEUE_VIEW_PERMISSIONS[key])
    }
    if user.role in (Role.MANAGER, Role.ADMIN):
        views["team"] = "All teams"
    return views


def read_queue(user: User, data: QueryDict, now: datetime) -> Queue:
    """The complaints of the queue ``data`` (a query string) names, as ``user`` sees them."""
    current = data.get("view", "team")
    if current not in queue_views(user):
        current = "team"
    filters = QueueFilterForm(data, auto_id="id_filter_%s")
    queryset, default_sort = _queue_view(
        Complaint.objects.visible_to(user).for_queue(), current, user, now
    )
    sort = filters.chosen_sort(default_sort)
    queryset = filters.apply(queryset, actor=user, now=now)
    return Queue(current, filters, queryset, sort, {"view": current, **filters.query_params()})


def view_counts(user: User, views: list[SavedView], now: datetime) -> dict[int, str]:
    """Each saved view's number of complaints for ``user``, as shown beside its name.

    Never a COUNT over the table: each count reads at most ``VIEW_COUNT_CAP`` + 1 rows and
    says "1000+" beyond; counts are cached per tenant and person for ``VIEW_COUNT_SECONDS``.
    """
    if not views:
        return {}
    keys = {
        view.pk: f"queue-count:{user.pk}:{hashlib.sha256(view.query.encode()).hexdigest()[:24]}"
        for view in views
    }
    known = cache.get_many(list(keys.values()))
    counts = {}
    for view in views:
        count = known.get(keys[view.pk])
        if count is None:
            queue = read_queue(user, QueryDict(view.query), now)
            count = queue.queryset.order_by()[: VIEW_COUNT_CAP + 1].count()
            cache.set(keys[view.pk], count, VIEW_COUNT_SECONDS)
        counts[view.pk] = f"{VIEW_COUNT_CAP}+" if count > VIEW_COUNT_CAP else str(count)
    return counts


def reference_paths(name: str) -> Callable[[str], str]:
    """The path of URL ``name`` for any complaint reference, at the cost of one ``reverse``
    (a queue page links 25 rows to the same view)."""
    sample = "C-0000-000000"
    head, tail = reverse(name, args=[sample]).split(sample)
    return lambda reference: f"{head}{quote(reference, safe='')}{tail}"


def _queue_etag(page: KeysetPage[Complaint], params: dict[str, str]) -> str:
    """A fingerprint of the rows shown: which complaints, in which order, last changed when."""
    rows = ",".join(f"{row.pk}:{row.updated_at.timestamp()}" for row in page.rows)
    fingerprint = f"{sorted(params.items())}|{rows}|{page.next_cursor}"
    return f'W/"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"'


# The queue's rendered controls (tabs, saved views, filters, the save-view and bulk forms) by
# everything they show; each process keeps CONTROLS_KEPT of them, each for CONTROLS_SECONDS.
# Any announced change of what they show changes their key at once; should an announcement
# be lost, a value is used at most configuration.cache.MAX_AGE_SECONDS after it was read from
# the database, and a rendering of it CONTROLS_SECONDS longer.
CONTROLS_KEPT = 256
CONTROLS_SECONDS = 10
_controls: TTLCache[tuple[Any, ...], str] = TTLCache(maxsize=CONTROLS_KEPT, ttl=CONTROLS_SECONDS)
_controls_lock = threading.Lock()
# Stands for the request's CSRF field in kept controls (the token is masked afresh each time).
CSRF_PLACEHOLDER = SafeString("<!-- csrf -->")


def _controls_key(context: dict[str, Any], data: QueryDict) -> tuple[Any, ...] | None:
    """Everything the queue's controls show: the tenant's configuration (its generations:
    the teams, categories, root causes and staff of the pickers), the person and what they
    may do, the tab, the saved views with their counts, and the filters as typed (``data``).
    None when they must be rendered afresh: the filters were refused (their errors are
    shown), or the configuration cannot be fingerprinted (``configuration.cache.fingerprint``).
    """
    if context["filters"].errors:
        return None
    configuration = fingerprint()
    if configuration is None:
        return None
    user = context["user"]
    saved = context["saved_view"]
    return (
        configuration,
        user.pk,
        user.role,
        context["bulk"],
        tuple(sorted(context["can"].items())),
        tuple(context["views"].items()),
        context["current_view"],
        tuple(
            (view.pk, view.name, view.query, view.shared, view.owner_id)
            for view in context["saved_views"]
        ),
        tuple(sorted(context["saved_view_counts"].items())),
        (saved.pk, tuple(sorted(context["columns"]))) if saved else None,
        tuple(
            (name, tuple(data.getlist(name)))
            for name in ("view", "saved", *context["filters"].fields)
            if name in data
        ),
    )


def queue_controls(
    context: dict[str, Any], data: QueryDict, add_forms: Callable[[], None]
) -> SafeString:
    """The queue's controls for ``context`` (macro "controls") with this request's CSRF
    field: as this process last rendered them for the same (``_controls_key``), else
    rendered now (``add_forms`` first puts the save-view and bulk forms in ``context``) and
    kept for the next request."""
    key = _controls_key(context, data)
    html = None
    if key is not None:
        with _controls_lock:
            html = _controls.get(key)
    if html is None:
        add_forms()
        html = str(
            render_fragment(QUEUE_CONTENT, {**context, "csrf_input": CSRF_PLACEHOLDER}, "controls")
        )
        if key is not None:
            with _controls_lock:
                _controls[key] = html
    return mark_safe(html.replace(CSRF_PLACEHOLDER, context["csrf_input"]))  # noqa: S308


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_queue(request: AuthenticatedRequest) -> HttpResponse:
    """The work queues, filtered and searched; htmx polls the results region for changes."""
    user = request.user
    now = timezone.now()
    queue = read_queue(user, request.GET, now)
    current, filters, queryset, sort = queue.view, queue.filters, queue.queryset, queue.sort
    params = dict(queue.params)
    views = queue_views(user)
    after = request.GET.get("after")
    if sort == BEST_MATCH:
        ranked = filters.ranked(queryset, actor=user, now=now)
        page = bounded_page(ranked, after=after, size=PAGE_SIZE)
    else:
        field, descending = QUEUE_SORTS[sort]
        page = keyset_page(
            queryset, field=field, after=after, size=PAGE_SIZE, descending=descending
        )
    if request.GET.get("after") and not page.restarted:
        params["after"] = request.GET["after"]
    htmx = request.htmx  # type: ignore[attr-defined]
    partial = bool(htmx) and not htmx.history_restore_request
    saved_pk = _int_or_none(request.GET.get("saved"))
    if saved_pk is not None:
        params["saved"] = str(saved_pk)
    etag = _queue_etag(page, params)
    if partial and etag in parse_etags(request.headers.get("If-None-Match", "")):
        unchanged = HttpResponseNotModified()
        unchanged["ETag"] = etag
        unchanged["HX-Reswap"] = "none"
        return unchanged
    query = urlencode({name: value for name, value in params.items() if name != "after"})
    # The results' own refresh (htmx names the element that triggered it) asks with the
    # filters already shown: it brings the rows alone.
    polled = partial and htmx.trigger == "queue-results"
    # The person's saved views (from the tenant's cache), listed with their counts on the
    # page and after a filter changed; a poll only needs the chosen one's columns.
    saved_views = saved_views_of(user)
    if polled:
        saved_views = [view for view in saved_views if view.pk == saved_pk]
    counts = {} if polled else view_counts(user, saved_views, now)
    chosen = next((view for view in saved_views if view.pk == saved_pk), None)
    columns = chosen.shown_columns if chosen else set(QUEUE_COLUMNS)
    bulk = user.has_perm("complaints.bulk_update")
    context: dict[str, Any] = {
        "saved_views": saved_views,
        "saved_view_counts": counts,
        "saved_view": chosen,
        "columns": columns,
        "column_count": len(columns) + 2 + (1 if bulk else 0),
        "sorting": _sort_headers(params, sort),
        "page": page,
        "views": views,
        "current_view": current,
        "filters": filters,
        "query": query,
        "return_query": urlencode(params),
        "view_label": views[current],
        "poll_url": f"{url('console_queue')}?{urlencode(params)}",
        "poll_headers": json.dumps({"If-None-Match": etag}),
        "poll_seconds": QUEUE_POLL_SECONDS,
        "selected": set(request.GET.getlist("complaints")),
        "now": now,
        "partial": partial,
        "polled": polled,
        "bulk": bulk,
        "user": user,
        "can": {
            "save_view": user.has_perm("complaints.save_queue_view"),
            "share_view": user.has_perm("complaints.share_queue_view"),
            "manage_canned": user.has_perm("complaints.manage_canned_responses"),
            "log_on_behalf": user.has_perm("complaints.log_on_behalf"),
        },
        "csrf_input": csrf_input(request),
        "queue_url": url("console_queue"),
    }
    context["rows"] = render_fragment(
        "complaints/queue_rows.jinja",
        {
            "rows": page.rows,
            "columns": columns,
            "bulk": bulk,
            "selected": context["selected"],
            "column_count": context["column_count"],
            "now": now,
            "zone": timezone.get_current_timezone(),
            "complaint_url": reference_paths("console_complaint"),
            "refused": bool(filters.errors),
        },
    )
    # The page's content in Jinja2, as the rows are (Django's template engine took most of
    # the page's processor time).
    context.update(
        # The messages alone: a request would run every context processor again.
        messages_html=(
            render_to_string("_messages.html", {"messages": get_messages(request)}) if htmx else ""
        ),
        restarted_html=(
            render_to_string("_restarted_page.html", {"page": page}) if page.restarted else ""
        ),
    )

    def add_forms() -> None:
        context["save_view_form"] = SavedViewForm(
            user=user,
            initial={"query": urlencode(_saved_query(params)), "columns": sorted(columns)},
            auto_id="id_save_%s",
        )
        context["bulk_form"] = BulkActionForm(user=user, auto_id="id_bulk_%s") if bulk else None

    if partial:
        add_forms()
        response = HttpResponse(render_fragment(QUEUE_CONTENT, context, "results"))
    else:
        context["controls_html"] = queue_controls(context, request.GET, add_forms)
        response = render_page(
            request,
            render_fragment(QUEUE_CONTENT, context, "content"),
            title="Queue",
            main_class="wrap wide",
            extra_body=console_script(),
        )
    if partial:
        response["ETag"] = etag
    # Never stored: Back after claiming a complaint fetches the queue as it is now. The
    # poll's conditional refresh sends its ETag itself (``poll_headers``).
    response["Cache-Control"] = "private, no-store"
    return response


# Column headers that sort the queue, and the orders a click on each goes through.
SORT_HEADERS = {
    "reference": ("reference", "-reference"),
    "priority": ("-priority", "priority"),
    "assignee": ("assignee", "-assignee"),
    "due": ("due",),
    "received": ("received", "-received"),
}


@dataclass(frozen=True)
class SortHeader:
    """A sortable column: the link its header leads to and how the list is sorted by it now
    (``aria-sort``: ``ascending``, ``descending`` or ``none``)."""

    url: str
    aria_sort: str


def _sort_headers(params: dict[str, str], current: str) -> dict[str, SortHeader]:
    """Each sortable column's header: the first of its orders, or the next one when the
    queue is already sorted by it; the other filters are kept, the page starts over."""
    kept = {name: value for name, value in params.items() if name not in ("sort", "after")}
    headers = {}
    for column, orders in SORT_HEADERS.items():
        following = (
            orders[(orders.index(current) + 1) % len(orders)] if current in orders else orders[0]
        )
        state = "none"
        if current in orders:
            state = "descending" if QUEUE_SORTS[current][1] else "ascending"
        headers[column] = SortHeader(f"?{urlencode({**kept, 'sort': following})}", state)
    return headers


def _saved_query(params: dict[str, str]) -> dict[str, str]:
    """The queue parameters a saved view keeps: not the page or the view it came from."""
    return {name: value for name, value in params.items() if name not in ("after", "saved")}


@require_POST
@permission_required("complaints.save_queue_view")
def console_save_view(request: AuthenticatedRequest) -> HttpResponse:
    """Save the queue the person is looking at, with the columns they chose, under a name."""
    form = SavedViewForm(request.POST, user=request.user)
    back = _queue_url(request.POST.get("query", ""))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The view was not saved: {error}")
        return redirect(back)
    # The query is read through the queue's own filter form: only what the queue reads stays.
    queue = read_queue(request.user, QueryDict(form.cleaned_data["query"]), timezone.now())
    try:
        view = services.save_queue_view(
            name=form.cleaned_data["name"],
            query=urlencode(_saved_query(queue.params)),
            columns=form.cleaned_data["columns"],
            shared=form.cleaned_data["shared"],
            actor=request.user,
        )
    except ComplaintError as error:
        messages.error(request, f"The view was not saved: {error}")
        return redirect(back)
    messages.success(request, f"View “{view.name}” saved{' and shared' if view.shared else ''}.")
    return redirect(f"{reverse('console_queue')}?{view.query}&saved={view.pk}")


@require_POST
@permission_required("complaints.save_queue_view")
def console_delete_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Remove a saved view (one's own, or a shared one by a manager or admin)."""
    view = get_object_or_404(SavedView.objects.available_to(request.user), pk=pk)
    try:
        services.delete_queue_view(view, actor=request.user)
    except ComplaintError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"View “{view.name}” removed.")
    return redirect("console_queue")


@require_POST
@permission_required("complaints.save_queue_view")
def console_rename_view(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Rename a saved view (one's own, or a shared one by a manager or admin)."""
    view = get_object_or_404(SavedView.objects.available_to(request.user), pk=pk)
    old_name = view.name
    form = RenameViewForm(request.POST)
    back = f"{reverse('console_queue')}?{view.query}&saved={view.pk}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"The view was not renamed: {error}")
        return redirect(back)
    try:
        services.rename_queue_view(view, form.cleaned_data["name"], actor=request.user)
    except ComplaintError as error:
        messages.error(request, f"The view was not renamed: {error}")
    else:
        if view.name != old_name:
            messages.success(request, f"View “{old_name}” renamed to “{view.name}”.")
    return redirect(back)


def _queue_url(query: str, ticked: list[str] | None = None) -> str:
    """Back to the queue with the filters and page the person was looking at, and the
    complaints in ``ticked`` (references) still ticked."""
    params = QueryDict(query, mutable=True)
    if ticked:
        params.setlist("complaints", ticked)
    encoded = params.urlencode()
    return f"{reverse('console_queue')}?{encoded}" if encoded else reverse("console_queue")


@require_POST
@permission_required("complaints.bulk_update")
def console_bulk(request: AuthenticatedRequest) -> HttpResponse:
    """Apply one action to each selected complaint through its own permission check and service.

    Each complaint succeeds or fails on its own; a refused one is left exactly as it was.
    """
    user = request.user
    query = request.POST.get("query", "")
    back = _queue_url(query)
    form = BulkActionForm(request.POST, user=user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        # The ticked rows stay ticked, to correct the action and send again.
        ticked = form.cleaned_data.get("complaints") or []
        return redirect(_queue_url(query, ticked))
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
    # One e-mail per person for the whole batch (twenty complaints assigned to Alex: one).
    with staff_digest():
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
    complaint = get_complaint_for(request, reference, "complaints.view_complaint", shown=True)
    return _workspace(request, complaint, CONSOLE_PAGE)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_action_form(request: AuthenticatedRequest, reference: str, action: str) -> HttpResponse:
    """The form of a folded action (``LAZY_FOLDS``), fetched by htmx when its fold is opened;
    without htmx, the complaint page with that fold open.

    ``seen`` is the version of the page the fold is on, so that acting checks what changed
    since the person loaded the page, not since they opened the fold. 404 for an action that
    is not folded; 403 when the person may not do it on this complaint.
    """
    if action not in LAZY_FOLDS:
        raise Http404
    complaint = get_complaint_for(request, reference, ACTIONS[action].permission, shown=True)
    if not request.htmx:  # type: ignore[attr-defined]
        return _workspace(request, complaint, CONSOLE_PAGE, opened=action)
    seen = _int_or_none(request.GET.get("seen"))
    if seen is None:
        newest = timeline_events(complaint, request.user).order_by("-pk").values_list("pk")
        seen = next(iter(newest[:1]), (0,))[0]
    context = {
        "complaint": complaint,
        "forms": {
            action: _action_form(action, complaint, request.user, {"seen": seen}, shown=True)
        },
        "csrf_input": csrf_input(request),
        "fold_name": action,
    }
    return HttpResponse(render_fragment(CONSOLE_WORKSPACE, context, "fold"))


@returns_to(_console_page)
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@permission_required("complaints.use_console")
def console_presence(request: AuthenticatedRequest, reference: str) -> HttpResponse:
    """Who else is on this complaint (GET, polled), or the reply box's beacon (POST)."""
    complaint = get_complaint_for(request, reference, "complaints.view_complaint", shown=True)
    if request.method == "POST":
        record_presence(
            complaint, request.user, replying=bool(request.POST.get("body", "").strip())
        )
        return HttpResponse(status=204)
    context = {"complaint": complaint, "present": record_presence(complaint, request.user)}
    return HttpResponse(render_fragment(CONSOLE_WORKSPACE, context, "presence"))


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
        return HttpResponse(str(reply["body"]))
    return _workspace(request, complaint, CONSOLE_PAGE, {"reply": reply})


# The largest id an integer column holds: a larger number in a URL names nothing.
LARGEST_ID = 2**31 - 1


def _int_or_none(value: str | None) -> int | None:
    """A row id from a query string; None for anything that is not one (``1e999``, ``-1``,
    ``²``, a number past the column's range)."""
    if not value or not value.isascii() or not value.isdigit() or len(value) > 10:
        return None
    number = int(value)
    return number if number <= LARGEST_ID else None


CANNED_SAMPLE_VALUES = {
    "consumer_name": "Jane Example",
    "reference": "C-2026-000123",
    "agent_name": "Alex Agent",
}


def _canned_page(
    request: AuthenticatedRequest,
    form: CannedResponseForm,
    page: str,
    context: dict[str, Any],
    saved_message: Callable[[CannedResponse], str],
) -> HttpResponse:
    """Save a posted canned response, or (with ``preview``) show it formatted and filled in
    with a sample complaint without saving; the preview alone for htmx."""
    canned: CannedResponse | None = context.get("canned")
    previewing = "preview" in request.POST
    if request.method == "POST" and not previewing and form.is_valid():
        try:
            canned = services.save_canned_response(canned, actor=request.user, **form.cleaned_data)
        except ComplaintError as error:
            form.add_error("body", str(error))
        else:
            messages.success(request, saved_message(canned))
            return redirect("canned_responses")
    body = (
        request.POST.get("body", "") if request.method == "POST" else canned.body if canned else ""
    )
    values = {**CANNED_SAMPLE_VALUES, "organisation": current_tenancy.tenant().name}
    preview_error = ""
    try:
        sample = CANNED_RESPONSE_PLACEHOLDERS.fill(body, values)
    except PlaceholderError as error:
        # Shown as typed, with the reason it cannot be filled, as saving would say.
        sample, preview_error = body, str(error)
    context = {**context, "form": form, "preview": sample, "preview_error": preview_error}
    if request.htmx and previewing:  # type: ignore[attr-defined]
        return render(request, "complaints/_canned_preview.html", context)
    refused = request.method == "POST" and not previewing and bool(form.errors)
    return render(request, page, context, status=400 if refused else 200)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@permission_required("complaints.manage_canned_responses")
def canned_responses(request: AuthenticatedRequest) -> HttpResponse:
    """The tenant's canned responses, and a form to add one (with a formatted preview)."""
    return _canned_page(
        request,
        CannedResponseForm(request.POST or None),
        "complaints/console_canned_responses.html",
        {"canned_responses": CannedResponse.objects.all()},
        lambda canned: f"Canned response “{canned.title}” added.",
    )


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@permission_required("complaints.manage_canned_responses")
def canned_response_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One canned response: change it (with a formatted preview) or delete it."""
    canned = get_object_or_404(CannedResponse, pk=pk)
    if request.method == "POST" and "delete" in request.POST:
        services.delete_canned_response(canned, actor=request.user)
        messages.success(request, f"Canned response “{canned.title}” deleted.")
        return redirect("canned_responses")
    return _canned_page(
        request,
        CannedResponseForm(request.POST or None, instance=canned),
        "complaints/console_canned_response.html",
        {"canned": canned},
        lambda canned: f"Canned response “{canned.title}” saved.",
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
