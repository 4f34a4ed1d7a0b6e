from __future__ import annotations

import rules

from accounts.predicates import is_tenant_admin

# API clients and webhook endpoints are the organisation's settings.
rules.add_perm("integrations.manage_integrations", is_tenant_admin)
