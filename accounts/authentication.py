"""API authentication: JWTs bound to the tenant that issued them and to the account's state."""

from __future__ import annotations

from typing import Any

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import Token

from accounts.credentials import (
    SECOND_FACTOR_CLAIM,
    VERSION_CLAIM,
    CredentialRefused,
    check_credential,
    require_this_tenant,
)


class TenantJWTAuthentication(JWTAuthentication):
    """Accepts only tokens issued by the current tenant to an account that may hold them now."""

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        try:
            require_this_tenant(token)
        except CredentialRefused as refusal:
            raise InvalidToken(str(refusal)) from refusal
        return token

    def get_user(self, validated_token: Token) -> Any:
        """The token's user, when ``check_credential`` lets the account hold the token now:
        same credential version (no password change, deactivation, role change, second-factor
        reset or closure since), and for staff the second factor's proof whenever the account
        needs one now (the tenant may have tightened its policy since the token was issued).

        Raises ``AuthenticationFailed`` (401) otherwise.
        """
        user = super().get_user(validated_token)
        try:
            check_credential(
                user,  # type: ignore[arg-type]
                version=int(validated_token.get(VERSION_CLAIM, -1)),
                second_factor=bool(validated_token.get(SECOND_FACTOR_CLAIM)),
            )
        except CredentialRefused as refusal:
            raise AuthenticationFailed(str(refusal), code=refusal.code) from refusal
        return user
