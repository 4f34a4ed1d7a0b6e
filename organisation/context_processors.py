from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_tenants.utils import get_public_schema_name

from configuration.models import TenantSettings
from tenancy import current


def branding(request: HttpRequest) -> dict[str, Any]:
    """The tenant's branding for every page of a tenant site (none on the platform console)."""
    tenant = getattr(request, "tenant", None)
    # A suspended tenant's page is rendered from the public schema, where no branding lives.
    if tenant is None or tenant.is_public or current.schema_name() == get_public_schema_name():
        return {}
    return {"branding": TenantSettings.current()}
