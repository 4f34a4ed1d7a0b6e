from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from complaints.services.gate import observe_changes
        from reports.rollups import count_change

        observe_changes(count_change)
