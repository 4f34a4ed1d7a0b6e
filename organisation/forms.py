"""Forms of the tenant settings pages. Rules that need the database live in the services."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from accounts.models import EMAIL_MAX_LENGTH, TENANT_STAFF_ROLES, Role, User
from audit.models import AuditEvent
from complaints.attachments import IMAGE_DESCRIPTION
from complaints.forms import CalendarDateField
from complaints.models import Category, LetterTemplate, RootCause, Team
from complaints.money import CurrencyField
from configuration.models import TenantSettings
from deadlines.models import Closure, SlaPolicy
from organisation.services import LOGO_MAX_BYTES, TEAM_MEMBER_ROLES
from tenancy.models import RegulatoryProfile

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]
STAFF_ROLE_CHOICES = [(role.value, role.label) for role in TENANT_STAFF_ROLES]


class ColourInput(forms.TextInput):
    input_type = "color"


class BrandingForm(forms.ModelForm):
    logo = forms.FileField(
        label="Logo",
        required=False,
        help_text=f"{IMAGE_DESCRIPTION}, at most {LOGO_MAX_BYTES // 1_048_576} MB.",
    )
    remove_logo = forms.BooleanField(label="Remove the current logo", required=False)

    class Meta:
        model = TenantSettings
        fields = ["display_name", "primary_colour", "accent_colour"]
        labels = {"primary_colour": "Header colour", "accent_colour": "Button and link colour"}
        help_texts = {
            "primary_colour": "White text is shown on it, so it must be dark enough to read.",
            "accent_colour": "White text is shown on buttons, so it must be dark enough to read.",
        }
        widgets = {"primary_colour": ColourInput(), "accent_colour": ColourInput()}


class CategoryForm(forms.ModelForm):
    parent = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        required=False,
        empty_label="None: this is a product",
        label="Product",
        help_text="Leave empty for a product; choose one to file this cause under it.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        empty_label="The default team",
        help_text="The queue new complaints in this category go to.",
    )

    class Meta:
        model = Category
        fields = ["name", "parent", "team", "payment_services", "is_active"]
        labels = {"is_active": "Offered for new complaints"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        products = Category.objects.filter(parent__isnull=True).order_by("name")
        if self.instance.pk:
            products = products.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = products  # type: ignore[attr-defined]


class RootCauseForm(forms.ModelForm):
    class Meta:
        model = RootCause
        fields = ["name", "is_active"]
        labels = {"is_active": "Offered at resolution"}


class TeamForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(role__in=TEAM_MEMBER_ROLES, is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Agents, specialists and managers who work this queue.",
    )
    manager = forms.ModelChoiceField(
        queryset=User.objects.filter(role=Role.MANAGER, is_active=True),
        required=False,
        empty_label="No manager",
        help_text="Told when a complaint in this queue is at risk or breached.",
    )

    class Meta:
        model = Team
        fields = ["name", "manager"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["members"] = list(self.instance.members.values_list("pk", flat=True))


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = ["first_response_hours", "resolution_hours"]
        labels = {
            "first_response_hours": "First response (business hours)",
            "resolution_hours": "Resolution (business hours)",
        }


class BusinessHoursForm(forms.ModelForm):
    working_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    subdivision = forms.ChoiceField(
        label="Holiday region",
        required=False,
        help_text="Public holidays of this region apply as well as the national ones.",
    )

    class Meta:
        model = TenantSettings
        fields = ["working_days", "opens", "closes", "subdivision"]
        widgets = {
            "opens": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args: Any, regions: list[str], country: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subdivision"].choices = [  # type: ignore[attr-defined]
            ("", f"National holidays of {country} only"),
            *[(region, region) for region in regions],
        ]


class ClosureForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["day", "name"]
        labels = {"day": "Date", "name": "Reason"}
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}


class TenantProfileForm(forms.Form):
    """The rules a tenant works under: regulator, country (public holidays) and time zone."""

    regulatory_profile = forms.ChoiceField(
        label="Regulatory profile", choices=RegulatoryProfile.choices
    )
    country = forms.CharField(
        max_length=2, initial="GB", help_text="Two-letter ISO code; sets the public holidays."
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=[(name, name) for name in sorted(zoneinfo.available_timezones())],
        initial="Europe/London",
    )


class ComplaintPolicyForm(forms.ModelForm):
    reopen_window_days = forms.IntegerField(
        label="Reopen window (days)",
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days after a resolution in which the consumer may reject it.",
    )
    auto_close_days = forms.IntegerField(
        label="Auto-close after (days)",
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="Days after which an unanswered resolution closes by itself.",
    )
    at_risk_hours = forms.IntegerField(
        label="At risk (hours before a deadline)",
        validators=[MinValueValidator(1), MaxValueValidator(720)],
    )
    max_attachment_mb = forms.IntegerField(
        label="Largest attachment (MB)", validators=[MinValueValidator(1), MaxValueValidator(25)]
    )
    default_team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        empty_label="None: such complaints stay unrouted",
        help_text="The queue for complaints whose category names no team.",
    )

    class Meta:
        model = TenantSettings
        fields = [
            "assignment_strategy",
            "default_team",
            "reopen_window_days",
            "auto_close_days",
            "at_risk_hours",
            "currency",
            "max_attachment_mb",
            "final_response_approval",
        ]
        help_texts = {"currency": "Three-letter ISO code for redress, e.g. GBP."}
        field_classes = {"currency": CurrencyField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["default_team"] = Team.default()

    def clean(self) -> dict[str, Any]:
        """Refuse an auto-close that would come before the consumer's time to reject ends."""
        cleaned = super().clean() or {}
        window, auto_close = cleaned.get("reopen_window_days"), cleaned.get("auto_close_days")
        if window is not None and auto_close is not None and auto_close < window:
            self.add_error(
                "auto_close_days",
                f"Consumers are promised {window} days to reject a resolution, so it may not "
                f"close by itself before then: choose {window} days or more.",
            )
        return cleaned


class SecurityPolicyForm(forms.ModelForm):
    frontline_two_factor_required = forms.TypedChoiceField(
        label="Agents and specialists must use two-factor authentication",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        help_text="Administrators and managers always use two-factor authentication.",
    )

    class Meta:
        model = TenantSettings
        fields = ["frontline_two_factor_required"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        required = self.instance.frontline_two_factor_required
        self.initial["frontline_two_factor_required"] = "yes" if required else "no"


class LetterTemplateForm(forms.ModelForm):
    class Meta:
        model = LetterTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 14})}


class InviteForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES, initial=Role.AGENT.value)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=STAFF_ROLE_CHOICES)


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("", "Any action"), *AuditEvent.Action.choices], required=False
    )
    actor = forms.CharField(label="Actor e-mail", required=False, max_length=254)
    target = forms.CharField(label="Target contains", required=False, max_length=200)
    since = CalendarDateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = CalendarDateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return cleaned
