"""Changes to a tenant's settings, each checked, saved and written to the audit log."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.db.models import Min
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from audit.services import record_event
from complaints.attachments import IMAGE_DESCRIPTION, IMAGE_TYPES, SNIFF_BYTES, image_type
from complaints.letters import (
    DEFAULT_ADR_SCHEME,
    FOS_WEBSITE,
    LetterError,
    fill_letter,
)
from complaints.models import (
    Category,
    LetterKind,
    LetterTemplate,
    RootCause,
    Team,
)
from complaints.text import clean_name
from configuration.models import TenantSettings
from deadlines.models import Closure, SlaPolicy
from tenancy.models import RegulatoryProfile, Tenant, profile_industry_problem

LOGO_MAX_BYTES = 1_048_576
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
# WCAG AA for normal text: the header and buttons put white text on these colours.
MIN_CONTRAST_WITH_WHITE = 4.5
TEAM_MEMBER_ROLES = (Role.AGENT, Role.SPECIALIST, Role.MANAGER)


class SettingsError(Exception):
    """A refused settings change; ``field`` names the input at fault, if one is."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _name(value: str) -> str:
    """A category, root cause, team or closure name as kept (``clean_name``); refused when
    nothing visible is left of it."""
    name = clean_name(value)
    if not name:
        raise SettingsError("Give it a name.", field="name")
    return name


def _plain(value: Any) -> Any:
    """A value as the audit log's JSON stores it."""
    if isinstance(value, FieldFile):
        return value.name
    if isinstance(value, date | time | datetime | Decimal | timedelta):
        return str(value)
    return value


def _save_and_record(
    row: models.Model,
    action: AuditEvent.Action,
    *,
    actor: User | None,
    target: str | None = None,
    **extra: Any,
) -> dict[str, list[Any]]:
    """Save ``row`` and audit what changed (every field on creation); returns the changes.

    An existing row is saved field by field, only what changed, so two admins changing
    different parts of the same row (the tenant settings) do not undo each other.
    """
    model = type(row)
    names = [
        field.attname
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "auto_now", False)
    ]
    touched = [
        field.attname for field in model._meta.concrete_fields if getattr(field, "auto_now", False)
    ]
    stored = model._default_manager.filter(pk=row.pk).values(*names).first() if row.pk else None
    created = stored is None
    before: dict[str, Any] = stored or {}
    changes = {
        name: [_plain(before.get(name)), _plain(getattr(row, name))]
        for name in names
        if created or before[name] != getattr(row, name)
    }
    try:
        with transaction.atomic():
            if created:
                row.save()
            elif changes:
                row.save(update_fields=[*changes, *touched])
            if changes or extra:
                record_event(
                    action,
                    actor=actor,
                    target=target or str(row),
                    created=created,
                    changes=changes,
                    **extra,
                )
    except IntegrityError as error:
        raise SettingsError("That name is already in use.", field="name") from error
    return changes


# --- Branding ---------------------------------------------------------------------------------


def contrast_with_white(colour: str) -> float:
    """The WCAG contrast ratio of white text on ``colour`` (#rrggbb)."""

    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return 1.05 / (luminance + 0.05)


def check_colour(colour: str, field: str) -> str:
    if not HEX_COLOUR.fullmatch(colour):
        raise SettingsError("Use a colour like #1e3a8a.", field=field)
    ratio = contrast_with_white(colour)
    if ratio < MIN_CONTRAST_WITH_WHITE:
        raise SettingsError(
            f"White text on {colour} is hard to read (contrast {ratio:.1f}:1, at least "
            f"{MIN_CONTRAST_WITH_WHITE}:1 needed). Choose a darker colour.",
            field=field,
        )
    return colour.lower()


def check_logo(upload: UploadedFile) -> str:
    """The file extension of an acceptable logo: an image of IMAGE_TYPES by content, 1 MB at most.

    Raises SettingsError (field ``logo``) for a larger file or any other content.
    """
    if (upload.size or 0) > LOGO_MAX_BYTES:
        raise SettingsError("The logo must be 1 MB or smaller.", field="logo")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    content_type = image_type(head)
    if content_type is None:
        raise SettingsError(f"The logo must be a {IMAGE_DESCRIPTION} image.", field="logo")
    return IMAGE_TYPES[content_type]


def update_branding(
    branding: TenantSettings,
    *,
    actor: User | None,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> TenantSettings:
    """Save the portal's name, colours and logo (a new logo replaces the old one)."""
    branding.primary_colour = check_colour(branding.primary_colour, "primary_colour")
    branding.accent_colour = check_colour(branding.accent_colour, "accent_colour")
    branding.display_name = clean_name(branding.display_name)
    old_logo = branding.logo.name if branding.logo else ""
    if logo is not None:
        suffix = check_logo(logo)
        # Stored under the tenant's schema with a random name, never the uploaded one.
        branding.logo.save(f"{uuid.uuid4().hex}{suffix}", logo, save=False)
    elif remove_logo:
        branding.logo = ""  # type: ignore[assignment]
    _save_and_record(
        branding,
        AuditEvent.Action.BRANDING_CHANGED,
        actor=actor,
        target=branding.display_name or "Branding",
    )
    if old_logo and old_logo != (branding.logo.name or ""):
        storage = branding.logo.storage
        transaction.on_commit(lambda: storage.delete(old_logo))
    return branding


# --- Categories, root causes and teams --------------------------------------------------------


def save_category(category: Category, *, actor: User | None) -> Category:
    """Create or change a product (no parent) or a cause under a product."""
    category.name = _name(category.name)
    parent = category.parent
    if parent is not None:
        if category.pk is not None and parent.pk == category.pk:
            raise SettingsError("A category cannot be filed under itself.", field="parent")
        if parent.parent_id is not None:
            raise SettingsError("Causes go under a product, not under another cause.", "parent")
        if category.pk is not None and category.children.exists():
            raise SettingsError(
                "This product has causes under it, so it cannot become a cause itself.", "parent"
            )
    # Recorded even when nothing changed: saving a category as it stands is reviewing it.
    _save_and_record(category, AuditEvent.Action.CATEGORY_SAVED, actor=actor, reviewed=True)
    return category


def delete_category(category: Category, *, actor: User | None) -> None:
    """Delete a category nobody has used; used ones can only be deactivated."""
    if category.complaints.exists():
        raise SettingsError(f"“{category}” is used by complaints; deactivate it instead.")
    if category.children.exists():
        raise SettingsError(f"“{category}” has causes under it; remove or move them first.")
    with transaction.atomic():
        name = str(category)
        category.delete()
        record_event(AuditEvent.Action.CATEGORY_DELETED, actor=actor, target=name)


def save_root_cause(root_cause: RootCause, *, actor: User | None) -> RootCause:
    root_cause.name = _name(root_cause.name)
    _save_and_record(root_cause, AuditEvent.Action.ROOT_CAUSE_SAVED, actor=actor)
    return root_cause


def set_active(row: Category | RootCause, active: bool, *, actor: User | None) -> None:
    """Offer a category or root cause for new complaints again, or stop offering it."""
    row.is_active = active
    action = (
        AuditEvent.Action.CATEGORY_SAVED
        if isinstance(row, Category)
        else AuditEvent.Action.ROOT_CAUSE_SAVED
    )
    _save_and_record(row, action, actor=actor)


def save_team(team: Team, members: Iterable[User], *, actor: User | None) -> Team:
    """Create or change a team: its name, its manager and who works its queue."""
    team.name = _name(team.name)
    members = list(members)
    outsiders = [user for user in members if user.role not in TEAM_MEMBER_ROLES]
    if outsiders:
        raise SettingsError(
            "Only agents, specialists and managers can be team members.", field="members"
        )
    if team.manager is not None and team.manager.role != Role.MANAGER:
        raise SettingsError("The team manager must have the manager role.", field="manager")
    with transaction.atomic():
        before = set(team.members.values_list("email", flat=True)) if team.pk else set()
        after = {user.email for user in members}
        membership: dict[str, Any] = (
            {"added": sorted(after - before), "removed": sorted(before - after)}
            if before != after
            else {}
        )
        _save_and_record(team, AuditEvent.Action.TEAM_SAVED, actor=actor, **membership)
        team.members.set(members)
    return team


# --- Deadlines: SLA targets, business hours, closures -------------------------------------------


def save_sla_policy(policy: SlaPolicy, *, actor: User | None) -> SlaPolicy:
    """Set a priority's first-response and resolution targets, in business hours."""
    if policy.first_response_hours < 1 or policy.resolution_hours < 1:
        raise SettingsError("Targets are at least one business hour.")
    if policy.resolution_hours < policy.first_response_hours:
        raise SettingsError(
            "Resolution cannot be due before the first response.", field="resolution_hours"
        )
    margin = TenantSettings.current().at_risk_hours
    if policy.first_response_hours <= margin:
        raise SettingsError(
            f"Targets must be longer than the at-risk margin ({margin} hours, in the complaint "
            "policy), or every new complaint would be at risk as soon as it arrives.",
            field="first_response_hours",
        )
    _save_and_record(policy, AuditEvent.Action.SLA_POLICY_SAVED, actor=actor)
    return policy


def shortest_sla_target_hours() -> int | None:
    """The shortest first-response target of any priority, in business hours (None: no targets).

    A deadline of that many business hours falls at least that many hours ahead, so an
    at-risk margin shorter than it never flags a complaint on arrival.
    """
    return SlaPolicy.objects.aggregate(shortest=Min("first_response_hours"))["shortest"]


def remove_sla_policy(policy: SlaPolicy, *, actor: User | None) -> None:
    with transaction.atomic():
        target = str(policy)
        policy.delete()
        record_event(AuditEvent.Action.SLA_POLICY_REMOVED, actor=actor, target=target)


def holiday_regions(country: str) -> list[str]:
    """The regions the holiday calendar knows for a country (may be empty)."""
    return list(holidays.list_supported_countries().get(country, []))


def update_business_hours(
    hours: TenantSettings, *, actor: User | None, country: str
) -> TenantSettings:
    """Save the working week, opening hours and public-holiday region."""
    if not hours.working_days:
        raise SettingsError("Choose at least one working day.", field="working_days")
    if any(day not in range(7) for day in hours.working_days):
        raise SettingsError("Working days are Monday to Sunday.", field="working_days")
    hours.working_days = sorted(set(hours.working_days))
    if hours.closes <= hours.opens:
        raise SettingsError("Closing time must be after opening time.", field="closes")
    hours.subdivision = hours.subdivision.strip().upper()
    if hours.subdivision and hours.subdivision not in holiday_regions(country):
        raise SettingsError(
            f"“{hours.subdivision}” is not a holiday region of {country}.", field="subdivision"
        )
    _save_and_record(
        hours,
        AuditEvent.Action.BUSINESS_HOURS_CHANGED,
        actor=actor,
        target=f"{hours.opens:%H:%M}-{hours.closes:%H:%M}",
        # Recorded even when nothing changed: saving the hours as they stand confirms them.
        reviewed=True,
    )
    return hours


def add_closure(closure: Closure, *, actor: User | None) -> Closure:
    closure.name = _name(closure.name)
    if Closure.objects.filter(day=closure.day).exists():
        raise SettingsError("That day is already a closure.", field="day")
    _save_and_record(closure, AuditEvent.Action.CLOSURE_ADDED, actor=actor)
    return closure


def remove_closure(closure: Closure, *, actor: User | None) -> None:
    with transaction.atomic():
        target = str(closure)
        closure.delete()
        record_event(AuditEvent.Action.CLOSURE_REMOVED, actor=actor, target=target)


# --- Regulatory profile -------------------------------------------------------------------------


def validate_profile(regulatory_profile: str, country: str, time_zone: str) -> str:
    """Check a tenant's profile, country and time zone; returns the normalised country code.

    The profile must be a known regulator, the country a two-letter ISO code (it picks the
    public holidays) and the time zone an IANA name. Raises ``SettingsError`` on the field at
    fault. Used both when a tenant admin edits their profile and when a tenant is provisioned.
    """
    if regulatory_profile not in RegulatoryProfile.values:
        raise SettingsError("Choose a known regulatory profile.", field="regulatory_profile")
    if time_zone not in zoneinfo.available_timezones():
        raise SettingsError(f"“{time_zone}” is not a time zone.", field="time_zone")
    country = country.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise SettingsError("Use a two-letter ISO country code, e.g. GB.", field="country")
    return country


def update_tenant_profile(
    tenant: Tenant, *, actor: User | None, regulatory_profile: str, country: str, time_zone: str
) -> Tenant:
    """Change a tenant's regulatory profile, country and time zone (public schema).

    Deadlines already stored keep their times; only complaints received afterwards, or whose
    deadlines are recomputed, follow the new calendar.
    """
    country = validate_profile(regulatory_profile, country, time_zone)
    if problem := profile_industry_problem(regulatory_profile, tenant.industry):
        raise SettingsError(problem, field="regulatory_profile")
    previous = {
        "regulatory_profile": tenant.regulatory_profile,
        "country": tenant.country,
        "time_zone": tenant.time_zone,
    }
    wanted = {"regulatory_profile": regulatory_profile, "country": country, "time_zone": time_zone}
    changed = {name: value for name, value in wanted.items() if previous[name] != value}
    if not changed:
        return tenant
    with transaction.atomic():
        for name, value in changed.items():
            setattr(tenant, name, value)
        # Saved, not updated, so the cached host lookups are dropped by the post_save signal.
        tenant.save(update_fields=list(changed))
        # The audit row goes to the tenant's own log, next to its other settings changes.
        record_event(
            AuditEvent.Action.TENANT_PROFILE_CHANGED,
            actor=actor,
            target=tenant.slug,
            changes={name: [previous[name], value] for name, value in changed.items()},
        )
    return tenant


# --- Policies -----------------------------------------------------------------------------------


def update_complaint_policy(
    policy: TenantSettings, *, actor: User | None, default_team: Team | None
) -> TenantSettings:
    """Save how complaints are assigned, reopened, closed, flagged and what they may carry,
    and which team (at most one, or none) gets complaints whose category names no team."""
    policy.currency = policy.currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", policy.currency):
        raise SettingsError("Use a three-letter ISO currency code, e.g. GBP.", field="currency")
    shortest = shortest_sla_target_hours()
    if shortest is not None and policy.at_risk_hours >= shortest:
        raise SettingsError(
            f"The at-risk margin must be shorter than the shortest SLA target ({shortest} "
            "business hours), or every new complaint would be at risk as soon as it arrives.",
            field="at_risk_hours",
        )
    try:
        with transaction.atomic():
            previous = Team.default()
            extra: dict[str, Any] = {}
            if previous != default_team:
                Team.objects.filter(is_default=True).update(is_default=False)
                if default_team is not None:
                    Team.objects.filter(pk=default_team.pk).update(is_default=True)
                extra["default_team"] = [_name_or_none(previous), _name_or_none(default_team)]
            _save_and_record(
                policy,
                AuditEvent.Action.COMPLAINT_POLICY_CHANGED,
                actor=actor,
                target="Complaint policy",
                **extra,
            )
    except IntegrityError as error:
        # Another admin chose a default team at the same moment.
        raise SettingsError(
            "The default team was changed at the same time; try again.", field="default_team"
        ) from error
    return policy


def _name_or_none(row: models.Model | None) -> str | None:
    return None if row is None else str(row)


def update_security_policy(policy: TenantSettings, *, actor: User | None) -> TenantSettings:
    """Save whether agents and specialists must use a second factor."""
    _save_and_record(
        policy, AuditEvent.Action.SECURITY_POLICY_CHANGED, actor=actor, target="Security policy"
    )
    return policy


# --- Communication templates --------------------------------------------------------------------


def sample_letter_values(tenant: Tenant) -> dict[str, str]:
    """Placeholder values of an invented complaint, for checking and previewing wording."""
    zone = ZoneInfo(tenant.time_zone)
    today = timezone.now().astimezone(zone)

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).strftime("%-d %B %Y")

    return {
        "consumer_name": "Jane Example",
        "reference": f"C-{today:%Y}-000123",
        "subject": "Card payment taken twice",
        "organisation": tenant.name,
        "received_date": day(0),
        "final_response_due": day(56),
        "response_promise": f"by {day(56)} at the latest",
        "outcome": "partly upheld",
        "redress": "GBP 50.00",
        "resolution_summary": "We refunded the second payment and added £50 for the trouble.",
        "holding_reason": "we are waiting for records from the card network",
        "expected_date": day(28),
        "progress_steps": "We asked the card network for the records of both payments.",
        "fos_website": FOS_WEBSITE,
        "adr_scheme": DEFAULT_ADR_SCHEME,
    }


def render_letter(tenant: Tenant, kind: LetterKind, subject: str, body: str) -> tuple[str, str]:
    """Wording filled in with the sample complaint and checked against the profile's rules."""
    try:
        return fill_letter(
            tenant.regulatory_profile, kind, subject, body, sample_letter_values(tenant)
        )
    except LetterError as error:
        raise SettingsError(str(error), field="body") from error


def save_letter_template(
    tenant: Tenant, kind: LetterKind, *, actor: User | None, subject: str, body: str
) -> LetterTemplate:
    """Save the tenant's own wording of a letter once it says what the regulator requires."""
    render_letter(tenant, kind, subject, body)
    template = LetterTemplate.objects.filter(kind=kind).first() or LetterTemplate(kind=kind)
    template.subject, template.body = subject, body
    # Recorded even when nothing changed: saving the wording as it stands is reviewing it.
    _save_and_record(template, AuditEvent.Action.LETTER_TEMPLATE_SAVED, actor=actor, reviewed=True)
    return template


def reset_letter_template(kind: LetterKind, *, actor: User | None) -> None:
    """Go back to the profile's default wording."""
    with transaction.atomic():
        deleted, _ = LetterTemplate.objects.filter(kind=kind).delete()
        if deleted:
            record_event(AuditEvent.Action.LETTER_TEMPLATE_RESET, actor=actor, target=kind.label)
