"""Branding and the security policy now live in ``configuration.TenantSettings``."""

from django.db import migrations

from configuration.moving import copy_into_tenant_settings


class Migration(migrations.Migration):

    dependencies = [
        ("organisation", "0002_security_policy_logo_path"),
        ("configuration", "0002_tenant_settings_row"),
    ]

    operations = [
        migrations.RunPython(
            copy_into_tenant_settings(
                "organisation",
                "Branding",
                ["display_name", "logo", "primary_colour", "accent_colour"],
            ),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(
            copy_into_tenant_settings(
                "organisation", "SecurityPolicy", ["frontline_two_factor_required"]
            ),
            migrations.RunPython.noop,
        ),
        migrations.DeleteModel(name="Branding"),
        migrations.DeleteModel(name="SecurityPolicy"),
    ]
