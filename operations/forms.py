from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import EMAIL_MAX_LENGTH
from operations.starters import STARTER_CHOICES, STARTERS
from organisation.forms import TenantProfileForm
from tenancy.models import Industry, profile_industry_problem

SAME_AS_INDUSTRY = "industry"


class TenantForm(TenantProfileForm):
    """A new tenant: its name, address, industry, profile and first administrator."""

    name = forms.CharField(label="Organisation name", max_length=120)
    slug = forms.CharField(
        label="Address",
        max_length=30,
        help_text="Lower-case letters, digits and hyphens; the site is served at <slug>.<domain>.",
    )
    industry = forms.ChoiceField(choices=Industry.choices)
    starter = forms.ChoiceField(
        label="Industry starter",
        choices=[
            (SAME_AS_INDUSTRY, "The starter of the industry chosen above"),
            *STARTER_CHOICES,
            ("", "None: start empty"),
        ],
        initial=SAME_AS_INDUSTRY,
        required=False,
        help_text="Categories, root causes, teams, SLA targets, canned responses and the "
        "regulator's letter wording to start from; the administrator can change all of it.",
    )
    admin_email = forms.EmailField(
        label="First administrator's e-mail",
        max_length=EMAIL_MAX_LENGTH,
        help_text="They receive an invitation link to set a password and a second factor.",
    )

    def clean(self) -> dict[str, Any]:
        """Resolve "the industry's starter" to a starter's name, or "" for "other"; refuse a
        regulator whose rules are for another industry (an airline under the FCA)."""
        cleaned = super().clean() or {}
        industry, profile = cleaned.get("industry", ""), cleaned.get("regulatory_profile", "")
        if problem := profile_industry_problem(profile, industry):
            self.add_error("regulatory_profile", problem)
        if cleaned.get("starter") == SAME_AS_INDUSTRY:
            industry = cleaned.get("industry", "")
            cleaned["starter"] = industry if industry in STARTERS else ""
        return cleaned

    field_order = [
        "name",
        "slug",
        "industry",
        "regulatory_profile",
        "country",
        "time_zone",
        "starter",
        "admin_email",
    ]
