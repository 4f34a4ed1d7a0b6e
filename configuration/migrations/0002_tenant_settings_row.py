"""Create the one settings row of the tenant schema being migrated.

This runs in every tenant schema: the existing ones now, and each new tenant's schema when
provisioning migrates it. The row starts with a Monday-to-Friday week and the holiday region
the tenant's country usually keeps. The apps whose settings move here copy their old values
in their own migrations, which run after this one.
"""

from django.db import migrations

from configuration.models import DEFAULT_SUBDIVISIONS, SINGLE_ROW

MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]


def create_settings_row(apps, schema_editor):
    TenantSettings = apps.get_model("configuration", "TenantSettings")
    Tenant = apps.get_model("tenancy", "Tenant")
    country = (
        Tenant.objects.filter(schema_name=schema_editor.connection.schema_name)
        .values_list("country", flat=True)
        .first()
    )
    TenantSettings.objects.get_or_create(
        pk=SINGLE_ROW,
        defaults={
            "working_days": MONDAY_TO_FRIDAY,
            "subdivision": DEFAULT_SUBDIVISIONS.get(country or "", ""),
        },
    )


class Migration(migrations.Migration):

    dependencies = [
        ("configuration", "0001_initial"),
        ("tenancy", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_settings_row, migrations.RunPython.noop),
    ]
