from __future__ import annotations

import zoneinfo

from django import forms

from tenancy.models import Industry, RegulatoryProfile


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


class TenantForm(TenantProfileForm):
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
