"""Role predicates shared by views, templates and the API."""

from __future__ import annotations

from typing import Any

import rules

from accounts.models import Role


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


@rules.predicate
def has_verified_second_factor(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


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
