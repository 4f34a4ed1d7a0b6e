"""The complaint policy now lives in ``configuration.TenantSettings``; its default team is the
team marked ``is_default`` (at most one)."""

from django.conf import settings
from django.db import migrations, models

from configuration.moving import copy_into_tenant_settings


def mark_default_team(apps, schema_editor):
    policy = apps.get_model("complaints", "ComplaintPolicy").objects.order_by("pk").first()
    if policy is not None and policy.default_team_id is not None:
        Team = apps.get_model("complaints", "Team")
        Team.objects.filter(pk=policy.default_team_id).update(is_default=True)


class Migration(migrations.Migration):

    dependencies = [
        ("complaints", "0008_resolution_approval"),
        ("configuration", "0002_tenant_settings_row"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="team",
            name="is_default",
            field=models.BooleanField(
                default=False,
                help_text="The queue for complaints whose category names no team.",
                verbose_name="Default team",
            ),
        ),
        migrations.AddConstraint(
            model_name="team",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_default", True)),
                fields=("is_default",),
                name="team_one_default",
            ),
        ),
        migrations.RunPython(
            copy_into_tenant_settings(
                "complaints",
                "ComplaintPolicy",
                [
                    "assignment_strategy",
                    "reopen_window_days",
                    "auto_close_days",
                    "at_risk_hours",
                    "currency",
                    "max_attachment_mb",
                    "final_response_approval",
                ],
            ),
            migrations.RunPython.noop,
        ),
        migrations.RunPython(mark_default_team, migrations.RunPython.noop),
        migrations.DeleteModel(name="ComplaintPolicy"),
    ]
