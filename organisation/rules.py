from __future__ import annotations

import rules

from accounts.predicates import is_tenant_admin

rules.add_perm("organisation.manage_settings", is_tenant_admin)
