"""64-bit keys for the third-party tables that grow with the people of a schema.

allauth and django-otp declare ``AutoField`` (32-bit) keys in their own migrations and ignore
``DEFAULT_AUTO_FIELD``. Their tables that grow with accounts (e-mail addresses and their
confirmations, authenticators and recovery codes) are widened here, in every schema, so every
growing table of the product has a ``bigint`` key (docs/scaling.md). The identity sequences
follow the column's type. The models' state is unchanged: Python's integers are unbounded.
The fixed catalogue tables (content types, permissions, groups) keep their 32-bit keys.
"""

from django.db import migrations

WIDENED = [
    ("account_emailaddress", "id"),
    ("account_emailconfirmation", "id"),
    ("account_emailconfirmation", "email_address_id"),
    ("otp_totp_totpdevice", "id"),
    ("otp_static_staticdevice", "id"),
    ("otp_static_statictoken", "id"),
    ("otp_static_statictoken", "device_id"),
]


def _alter(type_name: str) -> str:
    return "\n".join(
        f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {type_name};" for table, column in WIDENED
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunSQL(_alter("bigint"), _alter("integer"))]
