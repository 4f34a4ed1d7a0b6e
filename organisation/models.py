from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1e3a8a.")


def logo_path(branding: Branding, filename: str) -> str:
    """Logos live under their tenant's schema, so one tenant's file is never another's."""
    from tenancy import current

    return f"{current.schema_name()}/branding/{filename}"


class Branding(models.Model):
    """How the tenant's portal looks to its consumers (one row per tenant)."""

    display_name = models.CharField(
        max_length=120, blank=True, help_text="Shown in the header; the organisation name if blank."
    )
    logo = models.FileField(upload_to=logo_path, blank=True)
    primary_colour = models.CharField(max_length=7, default="#1e3a8a", validators=[HEX_COLOUR])
    accent_colour = models.CharField(max_length=7, default="#1d4ed8", validators=[HEX_COLOUR])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "branding"

    def __str__(self) -> str:
        return self.display_name or "Branding"

    @classmethod
    def current(cls) -> Branding:
        branding = cls.objects.order_by("pk").first()
        return branding if branding is not None else cls()


class SecurityPolicy(models.Model):
    """The tenant's sign-in rules (one row per tenant). Admins and managers always use 2FA."""

    frontline_two_factor_required = models.BooleanField(
        "Agents and specialists must use two-factor authentication",
        default=True,
        help_text="Administrators and managers always need a second factor.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "security policies"

    def __str__(self) -> str:
        return "Security policy"

    @classmethod
    def current(cls) -> SecurityPolicy:
        policy = cls.objects.order_by("pk").first()
        return policy if policy is not None else cls()
