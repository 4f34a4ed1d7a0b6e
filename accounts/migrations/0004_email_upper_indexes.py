import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_contact_details'),
        ('account', '0009_emailaddress_unique_primary_email'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='invitation',
            index=models.Index(django.db.models.functions.text.Upper('email'), name='invitation_email_upper_idx'),
        ),
        # allauth's addresses, which the product looks up by address ignoring case
        # (``accounts.services``, ``accounts.credentials``).
        migrations.RunSQL(
            "CREATE INDEX emailaddress_email_upper_idx ON account_emailaddress (UPPER(email))",
            "DROP INDEX emailaddress_email_upper_idx",
        ),
    ]
