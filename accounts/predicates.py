"""Role predicates shared by views, templates and the API."""

from __future__ import annotations

from typing import Any

import rules

from accounts.models import STAFF_ROLES, ClientScope, Role, SystemActor


def _has_role(*roles: Role) -> rules.Predicate:
    names = ", ".join(role.value for role in roles)

    @rules.predicate(name=f"has_role({names})")
    def predicate(user: Any) -> bool:
        return bool(getattr(user, "is_authenticated", False) and user.role in roles)

    return predicate


is_consumer = _has_role(Role.CONSUMER)
is_agent = _has_role(Role.AGENT)
is_specialist = _has_role(Role.SPECIALIST)
is_manager = _has_role(Role.MANAGER)
is_tenant_admin = _has_role(Role.ADMIN)
is_operator = _has_role(Role.OPERATOR)
is_api_client = _has_role(Role.CLIENT)


def _client_scope(scope: ClientScope) -> rules.Predicate:
    @rules.predicate(name=f"client_scope({scope.value})")
    def holds_scope(user: Any) -> bool:
        return scope.value in getattr(user, "client_scopes", ())

    return is_api_client & holds_scope


# An API client's identity, holding the scope in the token it presented this request.
client_reads_complaints = _client_scope(ClientScope.READ_COMPLAINTS)
client_logs_complaints = _client_scope(ClientScope.LOG_COMPLAINTS)
client_acts_on_complaints = _client_scope(ClientScope.ACT_ON_COMPLAINTS)
client_reads_reports = _client_scope(ClientScope.READ_REPORTS)


# Roles whose second factor the tenant's security policy may waive; all other staff need one.
POLICY_ROLES = frozenset({Role.AGENT, Role.SPECIALIST})


def second_factor_required(user: Any) -> bool:
    """Whether ``user`` must pass a second factor: always for admins, managers and operators,
    for agents and specialists when the tenant's settings say so."""
    role = getattr(user, "role", None)
    if role not in POLICY_ROLES:
        return role in STAFF_ROLES
    from configuration.models import TenantSettings

    return TenantSettings.current().frontline_two_factor_required


@rules.predicate
def is_system(user: Any) -> bool:
    """The product acting by itself (deadline scan, automatic closure, letters it owes)."""
    return isinstance(user, SystemActor)


# Predicates speak of role, team and relationship only. Whether a staff member has passed the
# second factor is decided once, at the edges: the web middleware
# (``accounts.middleware.SessionCredentialMiddleware``) and the API authentication
# (``accounts.authentication.TenantJWTAuthentication``). So a Celery task, a management command
# and a test call the same services with a plain user.
is_console_staff = is_agent | is_specialist | is_manager | is_tenant_admin
