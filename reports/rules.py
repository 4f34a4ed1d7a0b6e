from __future__ import annotations

import rules

from accounts.predicates import is_verified_admin, is_verified_manager

rules.add_perm("reports.view_dashboard", is_verified_manager | is_verified_admin)
