"""OpenAPI description of the API's authentication: people's and API clients' tokens."""

from __future__ import annotations

from typing import Any

from accounts.schema import TenantJWTScheme


class ApiTokenScheme(TenantJWTScheme):
    """Bearer JWTs of people and of API clients, bound to the tenant that issued them."""

    target_class = "integrations.authentication.ApiAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition = dict(super().get_security_definition(auto_schema))
        definition["description"] = (
            "Access token from /api/v1/auth/token/ (people) or /api/v1/auth/client-token/ "
            "(API clients), valid only on the host name of the organisation that issued it. "
            "An API client's token reaches only the endpoints that accept one of its scopes."
        )
        return definition
