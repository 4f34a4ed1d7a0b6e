from django.db import migrations

from reports.settled import INSTALL, REMOVE


def count_existing(apps, schema_editor):
    """Count the deadlines already there, as ``manage.py rebuild_report_counts`` does."""
    from reports.settled import rebuild_settled_counts

    rebuild_settled_counts()


class Migration(migrations.Migration):
    # The triggers and the first count need the rollup's unique constraint, which the
    # previous migration creates only as it ends.
    dependencies = [
        ("reports", "0003_settled_deadline_counts"),
    ]

    operations = [
        migrations.RunSQL(INSTALL, REMOVE),
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
