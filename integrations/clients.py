"""API clients: created with a secret shown once, tokens by client credentials, revocation.

A client acts as its identity, a user of the role ``API client`` (``accounts.models.Role``)
that signs in with nothing else. Its token is a short-lived access JWT bound to the tenant
that issued it, like every other credential, carrying the client's id and scopes; there is
no refresh token (a client asks again with its credentials).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.credentials import TENANT_CLAIM, VERSION_CLAIM, revoke_all_credentials
from accounts.models import ClientScope, Role, User
from audit.models import AuditEvent
from audit.services import record_event
from complaints.text import clean_name
from integrations.models import ApiClient, hash_secret
from tenancy import current

CLIENT_CLAIM = "client"
SCOPE_CLAIM = "scope"
# "Last used" is written at most this often, so a busy client costs no write per call.
LAST_USED_GRANULARITY = timedelta(minutes=1)
NAME_MAX_LENGTH = 100


class ClientError(Exception):
    """A refused change to an API client; the message is meant for the admin."""


def create_client(name: str, scopes: Iterable[str], *, actor: User) -> tuple[ApiClient, str]:
    """Create an API client and its identity; returns the client and its secret, which is
    never stored (only its hash) and cannot be shown again. Raises ``ClientError``."""
    name = clean_name(name)
    chosen = sorted(set(scopes))
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ClientError(f"Give the client a name of 1 to {NAME_MAX_LENGTH} characters.")
    if not chosen or not set(chosen) <= set(ClientScope.values):
        raise ClientError("Choose at least one of the scopes offered.")
    secret = ApiClient.new_secret()
    client_id = ApiClient.new_client_id()
    with transaction.atomic():
        identity = User.objects.create_user(
            f"{client_id}@api-clients.invalid", None, role=Role.CLIENT, full_name=name
        )
        client = ApiClient.objects.create(
            name=name,
            client_id=client_id,
            secret_hash=hash_secret(secret),
            scopes=chosen,
            identity=identity,
            created_by=actor,
        )
        record_event(
            AuditEvent.Action.API_CLIENT_CREATED,
            actor=actor,
            target=name,
            client_id=client_id,
            scopes=chosen,
        )
    return client, secret


def revoke_client(client: ApiClient, *, actor: User) -> None:
    """Revoke ``client`` at once: its identity is deactivated and its credential version
    bumped, so every token it holds is refused at its next use. Revoking twice is a no-op."""
    with transaction.atomic():
        locked = ApiClient.objects.select_for_update().select_related("identity").get(pk=client.pk)
        if locked.revoked_at is not None:
            return
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        identity = locked.identity
        identity.is_active = False
        identity.save(update_fields=["is_active"])
        revoke_all_credentials(identity)
        record_event(
            AuditEvent.Action.API_CLIENT_REVOKED,
            actor=actor,
            target=locked.name,
            client_id=locked.client_id,
        )
    client.refresh_from_db()


def authenticate_client(client_id: str, secret: str) -> ApiClient | None:
    """The active client with these credentials, or None (unknown, wrong secret, revoked)."""
    client = (
        ApiClient.objects.select_related("identity")
        .filter(client_id=client_id[:40], revoked_at__isnull=True)
        .first()
    )
    if client is None or not client.secret_matches(secret):
        return None
    return client


def issue_client_token(client: ApiClient, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """A short-lived access token for ``client`` (``JWT_ACCESS_MINUTES``), bound to the
    current tenant and to its identity's credential version, naming the client and scopes."""
    identity = client.identity
    token = AccessToken.for_user(identity)
    token[TENANT_CLAIM] = current.schema_name()
    token[VERSION_CLAIM] = identity.credential_version
    token[CLIENT_CLAIM] = client.client_id
    token[SCOPE_CLAIM] = " ".join(client.scopes)
    record_event(
        AuditEvent.Action.API_TOKEN_ISSUED,
        actor=identity,
        request=request,
        client=client.name,
        client_id=client.client_id,
    )
    lifetime = token.lifetime
    return {
        "access": str(token),
        "token_type": "Bearer",
        "expires_in": int(lifetime.total_seconds()),
        "scope": " ".join(client.scopes),
    }


def mark_used(client: ApiClient) -> None:
    """Record that ``client`` made a call now (at most once per ``LAST_USED_GRANULARITY``)."""
    now = timezone.now()
    if client.last_used_at is not None and now - client.last_used_at < LAST_USED_GRANULARITY:
        return
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


def required_scopes(view: Any, request: Any) -> frozenset[str]:
    """The scopes a machine client may hold to use ``view`` on this request (any one does):
    the view's ``get_client_scope(request)``, else its ``client_scope``, each a scope or a
    collection of scopes. None or nothing (the default) means the view is closed to machine
    clients. What the client may then do there is for the ``rules`` to say."""
    getter = getattr(view, "get_client_scope", None)
    scope = getter(request) if callable(getter) else getattr(view, "client_scope", None)
    if not scope:
        return frozenset()
    if isinstance(scope, str):
        return frozenset({str(scope)})
    return frozenset(str(item) for item in scope)
