from __future__ import annotations

from django.apps import AppConfig


class OperationsConfig(AppConfig):
    """The platform operator's work: console, provisioning, statistics, demo data, commands."""

    name = "operations"
    verbose_name = "Platform operations"
