"""API authentication: JWTs bound to the tenant that issued them."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from tenancy import current

TENANT_CLAIM = "tenant"
SECOND_FACTOR_CLAIM = "otp"


def require_this_tenant(token: Token) -> None:
    if token.get(TENANT_CLAIM) != current.schema_name():
        raise InvalidToken("This token was not issued by this organisation.")


class TenantJWTAuthentication(JWTAuthentication):
    """Accepts only tokens issued by the current tenant; staff tokens carry their 2FA proof."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        require_this_tenant(token)
        return token

    def get_user(self, validated_token: Token) -> Any:
        user = super().get_user(validated_token)
        verified = bool(validated_token.get(SECOND_FACTOR_CLAIM))
        user.is_verified = lambda: verified  # type: ignore[attr-defined]
        return user
