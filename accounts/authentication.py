"""API authentication: JWTs bound to the tenant that issued them."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import Token

from accounts.predicates import second_factor_required
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
        """The token's user; a staff token without the second factor's proof is refused here,
        at the edge, whenever the account needs a second factor now (the tenant may have
        tightened its policy since the token was issued).

        Raises ``AuthenticationFailed`` (401) for such a token.
        """
        user = super().get_user(validated_token)
        verified = bool(validated_token.get(SECOND_FACTOR_CLAIM))
        if not verified and second_factor_required(user):
            raise AuthenticationFailed(
                "Staff tokens need the second factor: ask for a new token with your one-time code.",
                code="second_factor_required",
            )
        return user
