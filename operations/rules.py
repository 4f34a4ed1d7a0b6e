from __future__ import annotations

import rules

from accounts.predicates import is_operator

rules.add_perm("operations.manage_tenants", is_operator)
