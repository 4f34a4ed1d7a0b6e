from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from organisation.models import Branding


def branding(request: HttpRequest) -> dict[str, Any]:
    """The tenant's branding for every page of a tenant site (none on the platform console)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        return {}
    return {"branding": Branding.current()}
