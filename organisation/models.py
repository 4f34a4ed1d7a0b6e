from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models

HEX_COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #1e3a8a.")


class Branding(models.Model):
    """How the tenant's portal looks to its consumers (one row per tenant)."""

    display_name = models.CharField(
        max_length=120, blank=True, help_text="Shown in the header; the organisation name if blank."
    )
    logo = models.FileField(upload_to="branding/", blank=True)
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
