"""Migration steps for the apps whose one-row settings models moved into ``TenantSettings``."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.apps.registry import Apps
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from configuration.models import SINGLE_ROW

MigrationStep = Callable[[Apps, BaseDatabaseSchemaEditor], None]


def copy_into_tenant_settings(
    app_label: str, model_name: str, fields: Sequence[str]
) -> MigrationStep:
    """A ``RunPython`` step copying ``fields`` of the old model's first row (the one its
    ``current()`` returned) into the schema's settings row; nothing when it had no row."""

    def copy(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        old = apps.get_model(app_label, model_name).objects.order_by("pk").values(*fields).first()
        if old is not None:
            settings = apps.get_model("configuration", "TenantSettings")
            settings.objects.filter(pk=SINGLE_ROW).update(**old)

    return copy
