from __future__ import annotations

import rules

from accounts.predicates import is_verified_operator

rules.add_perm("operations.manage_tenants", is_verified_operator)
