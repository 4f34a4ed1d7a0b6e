from __future__ import annotations

from django import forms

from organisation.forms import TenantProfileForm
from tenancy.models import Industry


class TenantForm(TenantProfileForm):
    """A new tenant: its name, address, industry, profile and first administrator."""

    name = forms.CharField(label="Organisation name", max_length=120)
    slug = forms.CharField(
        label="Address",
        max_length=30,
        help_text="Lower-case letters, digits and hyphens; the site is served at <slug>.<domain>.",
    )
    industry = forms.ChoiceField(choices=Industry.choices)
    admin_email = forms.EmailField(
        label="First administrator's e-mail",
        help_text="They receive an invitation link to set a password and a second factor.",
    )

    field_order = [
        "name",
        "slug",
        "industry",
        "regulatory_profile",
        "country",
        "time_zone",
        "admin_email",
    ]
