from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE IF NOT EXISTS complaint_reference_seq",
            "DROP SEQUENCE IF EXISTS complaint_reference_seq",
        )
    ]
