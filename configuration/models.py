"""The tenant's settings: one row per tenant schema, read once per request or task."""

from __future__ import annotations

import copy
from contextvars import ContextVar
from datetime import time, timedelta
from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from configuration.cache import ConfigurationQuerySet, TenantCached
from tenancy import current

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1e3a8a.")

# Where a country's national list leaves out holidays most of it keeps (England and Wales
# for the UK: Easter Monday, the August bank holiday), a new tenant starts with this region.
DEFAULT_SUBDIVISIONS = {"GB": "ENG"}

# The primary key of the only row a tenant schema holds.
SINGLE_ROW = 1


class AssignmentStrategy(models.TextChoices):
    MANUAL = "manual", "Manual (agents claim complaints)"
    ROUND_ROBIN = "round_robin", "Round robin among available agents"
    LEAST_LOADED = "least_loaded", "Least loaded available agent"


def logo_path(settings: TenantSettings, filename: str) -> str:
    """Logos live under their tenant's schema, so one tenant's file is never another's."""
    return f"{current.schema_name()}/branding/{filename}"


# (schema name, row) of the settings read in this request or task. Keyed by schema so that a
# connection switched to another tenant never sees the first tenant's row.
_current: ContextVar[tuple[str, TenantSettings] | None] = ContextVar(
    "current_tenant_settings", default=None
)


def forget_current_settings() -> None:
    """Drop the cached row, so the next ``TenantSettings.current()`` reads it again."""
    _current.set(None)


class TenantSettings(models.Model):
    """Everything a tenant admin configures that has one value per tenant.

    Branding, the sign-in policy, the working week and the complaint policy. Each tenant
    schema holds exactly one row (primary key 1, enforced by a check constraint), created by
    the migrations of the schema; nothing creates it on read.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLE_ROW, editable=False)

    # Branding: how the tenant's portal looks to its consumers.
    display_name = models.CharField(
        max_length=120, blank=True, help_text="Shown in the header; the organisation name if blank."
    )
    logo = models.FileField(upload_to=logo_path, blank=True)
    primary_colour = models.CharField(max_length=7, default="#1e3a8a", validators=[HEX_COLOUR])
    accent_colour = models.CharField(max_length=7, default="#1d4ed8", validators=[HEX_COLOUR])

    # Sign-in policy. Admins and managers always use a second factor.
    frontline_two_factor_required = models.BooleanField(
        "Agents and specialists must use two-factor authentication",
        default=True,
        help_text="Administrators and managers always need a second factor.",
    )

    # Business hours: the working week, its hours and the public-holiday region.
    working_days = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        default=list,
        help_text="Weekday numbers, Monday = 0.",
    )
    opens = models.TimeField(default=time(9, 0))
    closes = models.TimeField(default=time(17, 0))
    subdivision = models.CharField(
        max_length=10,
        blank=True,
        default="",
        help_text="Region for public holidays, e.g. ENG, SCT, NY; blank for national only.",
    )

    # Complaint policy: how this tenant runs its complaints.
    assignment_strategy = models.CharField(
        max_length=16, choices=AssignmentStrategy.choices, default=AssignmentStrategy.MANUAL
    )
    reopen_window_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days after a resolution in which the consumer may reject it."
    )
    auto_close_days = models.PositiveSmallIntegerField(
        default=30,
        help_text="Days after which an unanswered resolution closes by itself; never fewer "
        "than the reopen window.",
    )
    at_risk_hours = models.PositiveSmallIntegerField(
        default=1,
        help_text="Hours before a deadline at which a complaint counts as at risk; shorter than "
        "the shortest SLA target.",
    )
    currency = models.CharField(max_length=3, default="GBP")
    max_attachment_mb = models.PositiveSmallIntegerField(default=10)
    final_response_approval = models.BooleanField(
        "Managers approve final responses",
        default=False,
        help_text="An agent's resolution waits for a manager's approval before the consumer "
        "is sent the final response.",
    )

    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[ConfigurationQuerySet[TenantSettings]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "tenant settings"
        verbose_name_plural = "tenant settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=SINGLE_ROW), name="tenant_settings_single_row")
        ]

    def __str__(self) -> str:
        return "Tenant settings"

    @classmethod
    def current(cls) -> TenantSettings:
        """The settings of the tenant schema the connection is working in.

        Taken from the tenant's cache (``STORED_SETTINGS``, forgotten by every change) at most
        once per request or task (and again after a change); later calls return the same
        instance, so treat it as read-only and change a copy (``editable()``). Never writes.
        Only valid in a tenant schema.
        """
        schema = current.schema_name()
        cached = _current.get()
        if cached is not None and cached[0] == schema:
            return cached[1]
        row = STORED_SETTINGS.get()
        _current.set((schema, row))
        return row

    @property
    def at_risk_margin(self) -> timedelta:
        """How long before a deadline a complaint counts as at risk (``at_risk_hours`` hours).

        The one place the margin is read from; what "at risk" means at its boundaries is
        ``deadlines.models.at_risk_condition``.
        """
        return timedelta(hours=self.at_risk_hours)

    @classmethod
    def editable(cls) -> TenantSettings:
        """A copy of the current settings for a form to change: a refused change never shows
        in the shared row, and the copy costs no query."""
        return copy.deepcopy(cls.current())


STORED_SETTINGS = TenantCached("settings", lambda: TenantSettings.objects.get(pk=SINGLE_ROW))
# A save, a deletion or a bulk write of the row forgets the entry and the request's own copy.
STORED_SETTINGS.forget_on_change(TenantSettings)
STORED_SETTINGS.listeners.append(forget_current_settings)
