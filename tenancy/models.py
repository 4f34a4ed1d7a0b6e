from __future__ import annotations

import re
from typing import ClassVar
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models.expressions import RawSQL
from django.utils.http import url_has_allowed_host_and_scheme
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import schema_exists

from tenancy import current
from tenancy.template import clone_template, template_exists

# A tenant's slug: its host name's first label and, prefixed, its schema's name.
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "console",
        "docs",
        "help",
        "localhost",
        "mail",
        "media",
        "operator",
        "platform",
        "public",
        "root",
        "smtp",
        "static",
        "status",
        "support",
        "system",
        "www",
    }
)


def slug_problem(slug: str) -> str | None:
    """What is wrong with ``slug`` as a new tenant's (its form, not whether it is taken), or
    ``None``."""
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        return "Use 3 to 30 lower-case letters, digits and single hyphens, starting with a letter."
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved; choose another."
    return None


def schema_name_for(slug: str) -> str:
    """The schema of the tenant with ``slug``: a prefix keeps tenant schemas clear of
    PostgreSQL's own (public, pg_*, information_schema)."""
    return "t_" + slug.replace("-", "_")


class Industry(models.TextChoices):
    BANKING = "banking", "Banking and financial services"
    TELECOMS = "telecoms", "Telecommunications"
    AIRLINE = "airline", "Airline"
    OTHER = "other", "Other"


class RegulatoryProfile(models.TextChoices):
    UK_FCA = "uk_fca", "UK financial services (FCA DISP 1)"
    US_CFPB = "us_cfpb", "US consumer finance (CFPB)"
    UK_OFCOM = "uk_ofcom", "UK telecoms (Ofcom)"
    US_DOT_AIRLINE = "us_dot_airline", "US airlines (DOT 14 CFR 259.7)"
    EU_AIR = "eu_air", "EU airlines (Regulation 261/2004)"
    GENERIC = "generic", "Generic (own SLA targets only)"


# The industry each regulator's rules are for; the generic profile suits any.
PROFILE_INDUSTRY = {
    RegulatoryProfile.UK_FCA: Industry.BANKING,
    RegulatoryProfile.US_CFPB: Industry.BANKING,
    RegulatoryProfile.UK_OFCOM: Industry.TELECOMS,
    RegulatoryProfile.US_DOT_AIRLINE: Industry.AIRLINE,
    RegulatoryProfile.EU_AIR: Industry.AIRLINE,
}


def profile_industry_problem(profile: str, industry: str) -> str | None:
    """Why a regulator does not suit an organisation of ``industry`` (an airline under the
    FCA), or ``None``; the generic profile and the "other" industry suit any."""
    meant_for = PROFILE_INDUSTRY.get(profile)  # type: ignore[call-overload]
    if meant_for is None or not industry or industry in (meant_for, Industry.OTHER):
        return None
    return (
        f"{RegulatoryProfile(profile).label} is a regulator of "
        f"{Industry(meant_for).label.lower()}, not of {Industry(industry).label.lower()}: "
        "choose the organisation's own regulator, or Generic."
    )


class TenantQuerySet(models.QuerySet["Tenant"]):
    def customers(self) -> TenantQuerySet:
        """Every tenant but the public schema that hosts the platform console."""
        return self.exclude(schema_name="public")

    def with_schema_flag(self) -> TenantQuerySet:
        """Annotate ``has_schema``: whether PostgreSQL holds the tenant's schema yet."""
        return self.annotate(
            has_schema=RawSQL(
                "EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = tenancy_tenant.schema_name)",
                [],
                output_field=models.BooleanField(),
            )
        )


class Tenant(TenantMixin):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=30, unique=True)
    industry = models.CharField(max_length=20, choices=Industry.choices, default=Industry.OTHER)
    regulatory_profile = models.CharField(
        max_length=20, choices=RegulatoryProfile.choices, default=RegulatoryProfile.GENERIC
    )
    country = models.CharField(max_length=2, default="GB", help_text="ISO 3166-1 alpha-2 code")
    time_zone = models.CharField(max_length=64, default="Europe/London")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    auto_create_schema = True
    auto_drop_schema = False

    objects: ClassVar[TenantQuerySet] = TenantQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def create_schema(
        self, check_if_exists: bool = False, sync_schema: bool = True, verbosity: int = 1
    ) -> bool | None:
        """Create the tenant's schema as a copy of the migrated template schema (a fraction of
        a second) when it exists, otherwise by running every tenant migration."""
        if not sync_schema or self.is_public or not template_exists():
            return super().create_schema(check_if_exists, sync_schema, verbosity)  # type: ignore[no-any-return]
        if check_if_exists and schema_exists(self.schema_name):
            return False
        clone_template(self.schema_name)
        return None

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"

    @property
    def is_suspended(self) -> bool:
        return self.status == self.Status.SUSPENDED

    @property
    def host(self) -> str:
        """The tenant's canonical host name (the platform's is the bare base domain)."""
        if self.is_public:
            return settings.BASE_DOMAIN
        return f"{self.slug}.{settings.BASE_DOMAIN}"

    @property
    def base_url(self) -> str:
        return host_url(self.host)


class Domain(DomainMixin):
    pass


def host_url(host: str) -> str:
    """The absolute URL of a host, with the configured public scheme and port."""
    port = f":{settings.PUBLIC_PORT}" if settings.PUBLIC_PORT else ""
    return f"{settings.PUBLIC_SCHEME}://{host}{port}"


def canonical_url(location: str) -> str:
    """``location`` (a path, or an absolute URL built from whatever Host a request named)
    re-rooted at the current tenant's canonical base URL.

    Every link the product sends is built here or from ``Tenant.base_url``, never from the
    request's Host, so a spoofed Host or port cannot put a token into a link to elsewhere.
    """
    parts = urlsplit(location)
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{current.tenant().base_url}{path}{query}{fragment}"


def is_on_current_host(url: str) -> bool:
    """Whether redirecting to ``url`` stays on the current tenant: a local path, or an
    absolute URL on the tenant's canonical host and port (``next=`` parameters)."""
    canonical = urlsplit(current.tenant().base_url)
    return url_has_allowed_host_and_scheme(
        url,
        allowed_hosts={canonical.netloc},
        require_https=canonical.scheme == "https",
    )
