from __future__ import annotations

import rules

from accounts.predicates import client_reads_reports, is_manager, is_tenant_admin

rules.add_perm("reports.view_dashboard", is_manager | is_tenant_admin | client_reads_reports)
