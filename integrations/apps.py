from __future__ import annotations

from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from complaints.services.gate import observe_changes
        from integrations import schema  # noqa: F401 - registers the OpenAPI security scheme
        from integrations.webhooks import queue_webhooks

        observe_changes(queue_webhooks)
