"""API authentication for people and machine clients, and the scope check of every call."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.request import Request
from rest_framework_simplejwt.tokens import Token

from accounts.authentication import TenantJWTAuthentication
from accounts.credentials import VERSION_CLAIM, CredentialRefused, check_credential
from accounts.models import User
from integrations.clients import CLIENT_CLAIM, mark_used, required_scopes
from integrations.models import ApiClient


class ApiAuthentication(TenantJWTAuthentication):
    """Tenant-bound JWTs of people (``TenantJWTAuthentication``) and of API clients.

    A client's token is accepted only on the tenant that issued it, while the client is not
    revoked, and only on a view that names one of the client's scopes (``client_scope`` or
    ``get_client_scope``, a scope or a collection of them): a view that names none is closed to machine clients (403), as is
    one whose scope the client lacks. The client is kept on the request for the audit log
    and the rate limit.
    """

    def authenticate(self, request: Request) -> tuple[Any, Token] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user, token = result
        client: ApiClient | None = getattr(user, "_api_client", None)
        if client is not None:
            request._request.api_client = client  # type: ignore[attr-defined]
            mark_used(client)
            view = (request.parser_context or {}).get("view")
            scopes = required_scopes(view, request)
            if not scopes:
                raise PermissionDenied("API clients may not use this endpoint.")
            if not scopes & set(client.scopes):
                names = " or ".join(f"'{scope}'" for scope in sorted(scopes))
                raise PermissionDenied(f"This API client needs the {names} scope.")
        return user, token

    def get_user(self, validated_token: Token) -> Any:
        client_id = validated_token.get(CLIENT_CLAIM)
        if client_id is None:
            return super().get_user(validated_token)
        client = (
            ApiClient.objects.select_related("identity")
            .filter(client_id=str(client_id)[:40])
            .first()
        )
        if client is None or client.revoked_at is not None:
            raise AuthenticationFailed("This API client was revoked.", code="client_revoked")
        identity: User = client.identity
        if str(identity.pk) != str(validated_token.get("user_id")):
            raise AuthenticationFailed(
                "This token does not match its client.", code="token_not_valid"
            )
        try:
            check_credential(
                identity, version=int(validated_token.get(VERSION_CLAIM, -1)), machine=True
            )
        except CredentialRefused as refusal:
            raise AuthenticationFailed(str(refusal), code=refusal.code) from refusal
        identity.client_scopes = frozenset(client.scopes)
        identity._api_client = client  # type: ignore[attr-defined]
        return identity
