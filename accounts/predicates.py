"""Role predicates shared by views, templates and the API."""

from __future__ import annotations

from typing import Any

import rules

from accounts.models import STAFF_ROLES, Role


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


def passed_second_factor(user: Any) -> bool:
    """The user passed their second factor in this session, or the policy does not ask for one."""
    if not getattr(user, "is_authenticated", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    if is_verified and is_verified():
        return True
    return not second_factor_required(user)


has_verified_second_factor = rules.predicate(
    passed_second_factor, name="has_verified_second_factor"
)


# Staff predicates include the second factor: a staff member who has only passed the
# password step is, for every permission, nobody.
is_verified_agent = is_agent & has_verified_second_factor
is_verified_specialist = is_specialist & has_verified_second_factor
is_verified_manager = is_manager & has_verified_second_factor
is_verified_admin = is_tenant_admin & has_verified_second_factor
is_verified_operator = is_operator & has_verified_second_factor
is_verified_staff = (
    is_verified_agent | is_verified_specialist | is_verified_manager | is_verified_admin
)
