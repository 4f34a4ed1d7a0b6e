"""OpenAPI description of the API's authentication."""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class TenantJWTScheme(SimpleJWTScheme):
    """Bearer JWTs as simplejwt issues them, bound to the tenant whose host issued them."""

    target_class = "accounts.authentication.TenantJWTAuthentication"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition = dict(super().get_security_definition(auto_schema))
        definition["description"] = (
            "Access token from /api/v1/auth/token/, valid only on the host name of the "
            "organisation that issued it."
        )
        return definition
