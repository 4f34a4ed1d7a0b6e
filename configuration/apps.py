from __future__ import annotations

from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "configuration"
    verbose_name = "Tenant settings"

    def ready(self) -> None:
        from configuration import signals  # noqa: F401
