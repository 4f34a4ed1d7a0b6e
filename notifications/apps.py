from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Staff notifications"

    def ready(self) -> None:
        from complaints.services.gate import observe_changes
        from notifications.services import notify_staff_of_change

        observe_changes(notify_staff_of_change)
