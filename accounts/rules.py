from __future__ import annotations

import rules

from accounts.predicates import is_consumer, is_tenant_admin

rules.add_perm("accounts.manage_staff", is_tenant_admin)
# A consumer's own account pages: data export and closing the account.
rules.add_perm("accounts.manage_own_account", is_consumer)
