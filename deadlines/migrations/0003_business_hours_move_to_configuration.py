"""Business hours now live in ``configuration.TenantSettings``."""

from django.db import migrations

from configuration.moving import copy_into_tenant_settings


class Migration(migrations.Migration):

    dependencies = [
        ("deadlines", "0002_report_indexes"),
        ("configuration", "0002_tenant_settings_row"),
    ]

    operations = [
        migrations.RunPython(
            copy_into_tenant_settings(
                "deadlines", "BusinessHours", ["working_days", "opens", "closes", "subdivision"]
            ),
            migrations.RunPython.noop,
        ),
        migrations.DeleteModel(name="BusinessHours"),
    ]
