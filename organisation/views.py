"""The tenant admin's settings pages, and the public logo."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services as account_services
from accounts.credentials import active_refresh_tokens, active_sessions, sign_in_locked_until
from accounts.decorators import AuthenticatedRequest, permission_required
from accounts.models import TENANT_STAFF_ROLES, Invitation, User
from accounts.second_factor import unlock_sign_in
from accounts.services import AccountError
from audit.models import AuditEvent
from complaints.attachments import SNIFF_BYTES, image_type
from complaints.letters import default_letter
from complaints.models import (
    Category,
    LetterKind,
    LetterTemplate,
    Priority,
    RootCause,
    Team,
)
from complaints.pagination import keyset_page
from complaints.placeholders import LETTER_PLACEHOLDERS
from complaints.services import deactivate_staff_member
from complaints.spreadsheets import csv_download
from complaints.text import clean_text
from configuration.models import TenantSettings
from deadlines.models import Closure, SlaPolicy
from deadlines.regulation import regulator_for
from organisation import services
from organisation.checklist import setup_checklist
from organisation.forms import (
    AuditFilterForm,
    BrandingForm,
    BusinessHoursForm,
    CategoryForm,
    ClosureForm,
    ComplaintPolicyForm,
    InviteForm,
    LetterTemplateForm,
    RoleForm,
    RootCauseForm,
    SecurityPolicyForm,
    SlaPolicyForm,
    TeamForm,
    TenantProfileForm,
)
from organisation.services import SettingsError
from tenancy import current

PERMISSION = "organisation.manage_settings"
PAGE_SIZE = 50
FORM_PAGE = "organisation/form_page.html"

manage_settings = permission_required(PERMISSION)


@require_GET
def branding_logo(request: HttpRequest) -> FileResponse:
    """The tenant's logo; public, since it is shown on the sign-in page."""
    branding = TenantSettings.current()
    if not branding.logo:
        raise Http404
    with branding.logo.open("rb") as logo:
        content_type = image_type(logo.read(SNIFF_BYTES))
    if content_type is None:
        raise Http404
    response = FileResponse(branding.logo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response


def saved(request: AuthenticatedRequest, form: forms.BaseForm, save: Callable[[], object]) -> bool:
    """Validate a posted form and run its service; a refusal becomes a form error."""
    if request.method != "POST" or not form.is_valid():
        return False
    try:
        save()
    except (SettingsError, AccountError) as error:
        field = getattr(error, "field", None)
        form.add_error(field if field in form.fields else None, str(error))
        return False
    return True


def form_page(
    request: AuthenticatedRequest, form: forms.BaseForm, *, title: str, back: str, **extra: Any
) -> HttpResponse:
    """A page with one settings form; invalid input comes back with its errors."""
    status = 400 if form.is_bound and form.errors else 200
    context = {"form": form, "title": title, "back": reverse(back), **extra}
    return render(request, FORM_PAGE, context, status=status)


@require_GET
@manage_settings
def settings_home(request: AuthenticatedRequest) -> HttpResponse:
    """The settings sections, led by what remains to set up."""
    checklist = setup_checklist(current.tenant().regulatory_profile)
    remaining = sum(not item.done for item in checklist)
    return render(
        request, "organisation/home.html", {"checklist": checklist, "remaining": remaining}
    )


# --- Branding ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manage_settings
def branding(request: AuthenticatedRequest) -> HttpResponse:
    form = BrandingForm(
        request.POST or None, request.FILES or None, instance=TenantSettings.editable()
    )
    if saved(
        request,
        form,
        lambda: services.update_branding(
            form.instance,
            actor=request.user,
            logo=form.cleaned_data["logo"],
            remove_logo=form.cleaned_data["remove_logo"],
        ),
    ):
        messages.success(request, "Branding saved.")
        return redirect("settings_branding")
    return form_page(
        request,
        form,
        title="Branding",
        back="settings_home",
        multipart=True,
        has_logo=bool(TenantSettings.current().logo),
    )


# --- Categories and root causes ---------------------------------------------------------------


def _categories_page(
    request: AuthenticatedRequest,
    category_form: CategoryForm | None = None,
    root_cause_form: RootCauseForm | None = None,
) -> HttpResponse:
    products = (
        Category.objects.filter(parent__isnull=True)
        .select_related("team")
        .annotate(used=Count("complaints", distinct=True))
        .prefetch_related(
            Prefetch(
                "children",
                queryset=Category.objects.select_related("team")
                .annotate(used=Count("complaints"))
                .order_by("name"),
            )
        )
        .order_by("name")
    )
    context = {
        "products": products,
        "root_causes": RootCause.objects.order_by("name"),
        "category_form": category_form or CategoryForm(auto_id="id_category_%s"),
        "root_cause_form": root_cause_form or RootCauseForm(auto_id="id_cause_%s"),
    }
    bound = category_form or root_cause_form
    status = 400 if bound is not None and bound.errors else 200
    return render(request, "organisation/categories.html", context, status=status)


@require_GET
@manage_settings
def categories(request: AuthenticatedRequest) -> HttpResponse:
    return _categories_page(request)


# The addresses the "add" forms post to also show their page on GET: a refused form leaves
# the browser on an address that reloads (and goes Back) to the page, never to a 405.


@require_http_methods(["GET", "POST"])
@manage_settings
def category_create(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        return _categories_page(request)
    form = CategoryForm(request.POST, auto_id="id_category_%s")
    if saved(request, form, lambda: services.save_category(form.instance, actor=request.user)):
        messages.success(request, f"“{form.instance}” added.")
        return redirect("settings_categories")
    return _categories_page(request, category_form=form)


@require_http_methods(["GET", "POST"])
@manage_settings
def category_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    form = CategoryForm(request.POST or None, instance=category)
    if saved(request, form, lambda: services.save_category(form.instance, actor=request.user)):
        messages.success(request, f"“{form.instance}” saved.")
        return redirect("settings_categories")
    return form_page(request, form, title=f"Edit {category}", back="settings_categories")


@require_POST
@manage_settings
def category_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    try:
        services.delete_category(category, actor=request.user)
    except SettingsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"“{category}” deleted.")
    return redirect("settings_categories")


@require_POST
@manage_settings
def set_active(request: AuthenticatedRequest, kind: str, pk: int) -> HttpResponse:
    """Switch a category or root cause on or off for new complaints."""
    row: Category | RootCause
    if kind == "categories":
        row = get_object_or_404(Category, pk=pk)
    elif kind == "root-causes":
        row = get_object_or_404(RootCause, pk=pk)
    else:
        raise Http404
    active = request.POST.get("active") == "1"
    services.set_active(row, active, actor=request.user)
    messages.success(request, f"“{row}” is now {'active' if active else 'inactive'}.")
    return redirect("settings_categories")


@require_http_methods(["GET", "POST"])
@manage_settings
def root_cause_create(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        return _categories_page(request)
    form = RootCauseForm(request.POST, auto_id="id_cause_%s")
    if saved(request, form, lambda: services.save_root_cause(form.instance, actor=request.user)):
        messages.success(request, f"Root cause “{form.instance}” added.")
        return redirect("settings_categories")
    return _categories_page(request, root_cause_form=form)


@require_http_methods(["GET", "POST"])
@manage_settings
def root_cause_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    root_cause = get_object_or_404(RootCause, pk=pk)
    form = RootCauseForm(request.POST or None, instance=root_cause)
    if saved(request, form, lambda: services.save_root_cause(form.instance, actor=request.user)):
        messages.success(request, f"Root cause “{form.instance}” saved.")
        return redirect("settings_categories")
    return form_page(request, form, title=f"Edit {root_cause}", back="settings_categories")


# --- Teams ------------------------------------------------------------------------------------


def _save_team(request: AuthenticatedRequest, form: TeamForm) -> bool:
    return saved(
        request,
        form,
        lambda: services.save_team(form.instance, form.cleaned_data["members"], actor=request.user),
    )


@require_http_methods(["GET", "POST"])
@manage_settings
def teams(request: AuthenticatedRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if _save_team(request, form):
        messages.success(request, f"Team “{form.instance}” created.")
        return redirect("settings_teams")
    rows = Team.objects.select_related("manager").prefetch_related(
        Prefetch("members", queryset=User.objects.order_by("full_name", "email"))
    )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "organisation/teams.html", {"teams": rows, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@manage_settings
def team_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    form = TeamForm(request.POST or None, instance=team)
    if _save_team(request, form):
        messages.success(request, f"Team “{form.instance}” saved.")
        return redirect("settings_teams")
    return form_page(request, form, title=f"Edit team {team}", back="settings_teams")


# --- SLA targets, business hours and closures -------------------------------------------------


@require_GET
@manage_settings
def sla(request: AuthenticatedRequest) -> HttpResponse:
    policies = {policy.priority: policy for policy in SlaPolicy.objects.all()}
    rows = [(priority, policies.get(priority.value)) for priority in reversed(Priority)]
    return render(request, "organisation/sla.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@manage_settings
def sla_edit(request: AuthenticatedRequest, priority: str) -> HttpResponse:
    if priority not in Priority.values:
        raise Http404
    policy = SlaPolicy.objects.filter(priority=priority).first() or SlaPolicy(priority=priority)
    if request.method == "POST" and "remove" in request.POST:
        if policy.pk:
            services.remove_sla_policy(policy, actor=request.user)
            messages.success(request, f"{Priority(priority).label} complaints have no SLA target.")
        return redirect("settings_sla")
    form = SlaPolicyForm(request.POST or None, instance=policy)
    if saved(request, form, lambda: services.save_sla_policy(form.instance, actor=request.user)):
        messages.success(request, f"SLA targets for {Priority(priority).label.lower()} saved.")
        return redirect("settings_sla")
    return form_page(
        request,
        form,
        title=f"SLA targets: {Priority(priority).label} priority",
        back="settings_sla",
        removable=policy.pk is not None,
        intro="Targets count business hours in your working week. Existing complaints keep "
        "the deadlines they already have.",
    )


def _hours_page(
    request: AuthenticatedRequest,
    hours_form: BusinessHoursForm | None = None,
    closure_form: ClosureForm | None = None,
) -> HttpResponse:
    tenant = current.tenant()
    hours_form = hours_form or BusinessHoursForm(
        instance=TenantSettings.editable(),
        regions=services.holiday_regions(tenant.country),
        country=tenant.country,
        auto_id="id_hours_%s",
    )
    context = {
        "hours_form": hours_form,
        "closure_form": closure_form or ClosureForm(auto_id="id_closure_%s"),
        "closures": Closure.objects.order_by("day"),
    }
    bound = hours_form if hours_form.is_bound else closure_form
    status = 400 if bound is not None and bound.errors else 200
    return render(request, "organisation/hours.html", context, status=status)


@require_http_methods(["GET", "POST"])
@manage_settings
def hours(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        return _hours_page(request)
    tenant = current.tenant()
    form = BusinessHoursForm(
        request.POST,
        instance=TenantSettings.editable(),
        regions=services.holiday_regions(tenant.country),
        country=tenant.country,
        auto_id="id_hours_%s",
    )
    if saved(
        request,
        form,
        lambda: services.update_business_hours(
            form.instance, actor=request.user, country=tenant.country
        ),
    ):
        messages.success(request, "Business hours saved.")
        return redirect("settings_hours")
    return _hours_page(request, hours_form=form)


@require_http_methods(["GET", "POST"])
@manage_settings
def closure_add(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        return _hours_page(request)
    form = ClosureForm(request.POST, auto_id="id_closure_%s")
    if saved(request, form, lambda: services.add_closure(form.instance, actor=request.user)):
        messages.success(request, f"Closed on {form.instance.day:%-d %B %Y}.")
        return redirect("settings_hours")
    return _hours_page(request, closure_form=form)


@require_POST
@manage_settings
def closure_remove(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    closure = get_object_or_404(Closure, pk=pk)
    services.remove_closure(closure, actor=request.user)
    messages.success(request, f"{closure.day:%-d %B %Y} is a working day again.")
    return redirect("settings_hours")


# --- Regulatory profile and policies ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@manage_settings
def profile(request: AuthenticatedRequest) -> HttpResponse:
    tenant = current.tenant()
    form = TenantProfileForm(
        request.POST or None,
        initial={
            "regulatory_profile": tenant.regulatory_profile,
            "country": tenant.country,
            "time_zone": tenant.time_zone,
        },
    )
    if saved(
        request,
        form,
        lambda: services.update_tenant_profile(tenant, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, "Regulatory profile saved.")
        return redirect("settings_profile")
    return form_page(
        request,
        form,
        title="Regulatory profile, country and time zone",
        back="settings_home",
        intro="The profile sets the regulatory clocks and the content your letters must "
        "include; the country and time zone set public holidays and business hours.",
        note="Changing these does not rewrite deadlines already set on existing complaints: "
        "they keep their dates. New complaints, and deadlines recalculated later, use the new "
        "settings.",
    )


@require_http_methods(["GET", "POST"])
@manage_settings
def complaint_policy(request: AuthenticatedRequest) -> HttpResponse:
    form = ComplaintPolicyForm(request.POST or None, instance=TenantSettings.editable())
    if saved(
        request,
        form,
        lambda: services.update_complaint_policy(
            form.instance, actor=request.user, default_team=form.cleaned_data["default_team"]
        ),
    ):
        messages.success(request, "Complaint policy saved.")
        return redirect("settings_policy")
    return form_page(request, form, title="Complaint policy", back="settings_home")


@require_http_methods(["GET", "POST"])
@manage_settings
def security(request: AuthenticatedRequest) -> HttpResponse:
    form = SecurityPolicyForm(request.POST or None, instance=TenantSettings.editable())
    if saved(
        request, form, lambda: services.update_security_policy(form.instance, actor=request.user)
    ):
        messages.success(request, "Two-factor policy saved.")
        return redirect("settings_security")
    return form_page(
        request,
        form,
        title="Two-factor authentication",
        back="settings_home",
        intro="Administrators and managers always sign in with a second factor. You decide "
        "whether agents and support specialists must too; those who set one up still use it.",
    )


# --- Staff ------------------------------------------------------------------------------------


def staff_members() -> QuerySet[User]:
    return User.objects.filter(role__in=TENANT_STAFF_ROLES).annotate(
        has_two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )


@require_http_methods(["GET", "POST"])
@manage_settings
def staff(request: AuthenticatedRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if saved(
        request,
        form,
        lambda: account_services.invite_staff(
            form.cleaned_data["email"], form.cleaned_data["role"], actor=request.user
        ),
    ):
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("settings_staff")
    query = clean_text(request.GET.get("q", ""))
    members = staff_members()
    if query:
        members = members.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    page = keyset_page(
        members,
        field="date_joined",
        after=request.GET.get("after"),
        size=PAGE_SIZE,
        descending=True,
    )
    context = {
        "page": page,
        "query": query,
        "form": form,
        "invitations": Invitation.objects.pending().select_related("invited_by"),
    }
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "organisation/staff.html", context, status=status)


@require_http_methods(["GET", "POST"])
@manage_settings
def staff_member(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(staff_members(), pk=pk)
    form = RoleForm(request.POST or None, initial={"role": member.role})
    if saved(
        request,
        form,
        lambda: account_services.change_role(member, form.cleaned_data["role"], actor=request.user),
    ):
        messages.success(request, f"{member.display_name} is now {member.get_role_display()}.")
        return redirect("settings_staff_member", pk=member.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "organisation/staff_member.html",
        {
            "member": member,
            "form": form,
            "is_self": member.pk == request.user.pk,
            "locked_until": sign_in_locked_until(member),
            "sessions": active_sessions(member),
            "refresh_tokens": active_refresh_tokens(member),
        },
        status=status,
    )


@require_POST
@manage_settings
def staff_set_active(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(staff_members(), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        if active:
            account_services.set_staff_active(member, True, actor=request.user)
            messages.success(request, f"{member.display_name} can sign in again.")
        else:
            returned = deactivate_staff_member(member, actor=request.user)
            messages.success(
                request,
                f"{member.display_name} can no longer sign in; {returned} open "
                f"complaint{'' if returned == 1 else 's'} went back to the queue.",
            )
    except AccountError as error:
        messages.error(request, str(error))
    return redirect("settings_staff_member", pk=member.pk)


@require_POST
@manage_settings
def staff_security(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """An administrator ends a staff member's sessions and tokens, removes their second factor
    (a lost phone: they enrol again at their next sign-in), or lifts a sign-in lock."""
    member = get_object_or_404(staff_members(), pk=pk)
    try:
        if action == "sign-out":
            account_services.sign_out_everywhere(member, actor=request.user)
            messages.success(request, f"{member.display_name} was signed out everywhere.")
        elif action == "reset-second-factor":
            account_services.reset_second_factor(member, actor=request.user)
            messages.success(
                request, f"{member.display_name} will set up a new authenticator at sign-in."
            )
        elif action == "unlock":
            unlock_sign_in(member, actor=request.user)
            messages.success(request, f"{member.display_name} can sign in again.")
        else:
            raise Http404
    except AccountError as error:
        messages.error(request, str(error))
    return redirect("settings_staff_member", pk=member.pk)


@require_POST
@manage_settings
def invitation_action(request: AuthenticatedRequest, pk: int, action: str) -> HttpResponse:
    """Send a pending invitation again (with a fresh link) or revoke it."""
    invitation = get_object_or_404(Invitation.objects.pending(), pk=pk)
    try:
        if action == "resend":
            account_services.resend_invitation(invitation, actor=request.user)
            messages.success(request, f"A new invitation was sent to {invitation.email}.")
        elif action == "revoke":
            account_services.revoke_invitation(invitation, actor=request.user)
            messages.success(request, f"The invitation for {invitation.email} was revoked.")
        else:
            raise Http404
    except AccountError as error:
        messages.error(request, str(error))
    return redirect("settings_staff")


# --- Communication templates -----------------------------------------------------------------


@require_GET
@manage_settings
def letters(request: AuthenticatedRequest) -> HttpResponse:
    profile = current.tenant().regulatory_profile
    regulator = regulator_for(profile)
    own = {template.kind: template for template in LetterTemplate.objects.all()}
    rows = [
        {
            "kind": kind,
            "custom": kind.value in own,
            "subject": own[kind.value].subject
            if kind.value in own
            else default_letter(profile, kind)[0],
            "required": kind in regulator.required,
        }
        for kind in LetterKind
    ]
    return render(request, "organisation/letters.html", {"rows": rows})


def _letter_kind(kind: str) -> LetterKind:
    if kind not in LetterKind.values:
        raise Http404
    return LetterKind(kind)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@manage_settings
def letter_edit(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    letter_kind = _letter_kind(kind)
    tenant = current.tenant()
    template = LetterTemplate.objects.filter(kind=letter_kind).first()
    if template is None:
        subject, body = default_letter(tenant.regulatory_profile, letter_kind)
        template = LetterTemplate(kind=letter_kind, subject=subject, body=body)
    form = LetterTemplateForm(request.POST or None, instance=template)
    preview_only = "preview" in request.POST
    if not preview_only and saved(
        request,
        form,
        lambda: services.save_letter_template(
            tenant,
            letter_kind,
            actor=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        ),
    ):
        messages.success(request, f"Wording of the {letter_kind.label.lower()} saved.")
        return redirect("settings_letters")
    preview, problem = None, None
    if not form.is_bound or form.is_valid():
        wording = (
            form.cleaned_data
            if form.is_bound
            else {"subject": template.subject, "body": template.body}
        )
        try:
            preview = services.render_letter(
                tenant, letter_kind, wording["subject"], wording["body"]
            )
        except SettingsError as error:
            problem = str(error)
    context = {
        "form": form,
        "kind": letter_kind,
        "custom": template.pk is not None,
        "placeholders": LETTER_PLACEHOLDERS.names,
        "preview": preview,
        "problem": problem,
    }
    page = "organisation/letter_edit.html"
    if request.htmx and preview_only:  # type: ignore[attr-defined]
        page += "#preview"
    status = 400 if form.is_bound and form.errors and not preview_only else 200
    return render(request, page, context, status=status)


@require_POST
@manage_settings
def letter_reset(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    letter_kind = _letter_kind(kind)
    services.reset_letter_template(letter_kind, actor=request.user)
    messages.success(request, f"The {letter_kind.label.lower()} uses the default wording again.")
    return redirect("settings_letters")


# --- Audit log --------------------------------------------------------------------------------


def filtered_events(form: AuditFilterForm) -> QuerySet[AuditEvent]:
    """The audit events matching a valid filter form; none for an invalid one (its errors
    are shown beside the fields: never a wider list than the one asked for)."""
    events = AuditEvent.objects.all()
    if not form.is_valid():
        return events.none()
    data = form.cleaned_data
    zone = ZoneInfo(current.tenant().time_zone)
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["actor"]:
        events = events.filter(actor_email__icontains=data["actor"].strip())
    if data["target"]:
        events = events.filter(target__icontains=data["target"].strip())
    if data["since"]:
        events = events.filter(created_at__gte=datetime.combine(data["since"], time(), zone))
    if data["until"]:
        end = datetime.combine(data["until"] + timedelta(days=1), time(), zone)
        events = events.filter(created_at__lt=end)
    return events


@require_GET
@vary_on_headers("HX-Request")
@manage_settings
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page = keyset_page(
        filtered_events(form),
        field="created_at",
        after=request.GET.get("after"),
        size=PAGE_SIZE,
        descending=True,
    )
    filters = request.GET.copy()
    filters.pop("after", None)
    context = {"form": form, "page": page, "filters": filters.urlencode()}
    template = "organisation/audit_log.html"
    if request.htmx and request.GET.get("after"):  # type: ignore[attr-defined]
        template += "#rows"
    return render(request, template, context)


@require_GET
@manage_settings
def audit_export(request: AuthenticatedRequest) -> StreamingHttpResponse:
    """The audit events matching the filters, newest first, as a CSV download."""
    events = filtered_events(AuditFilterForm(request.GET)).order_by("-created_at", "-id")
    rows = (
        [
            event.created_at.isoformat(),
            event.action,
            event.actor_email,
            event.ip_address or "",
            event.target,
            json.dumps(event.detail, ensure_ascii=False),
        ]
        for event in events.iterator(chunk_size=2000)
    )
    headers = ["time", "action", "actor", "ip_address", "target", "detail"]
    return csv_download("audit-log.csv", headers, rows)
