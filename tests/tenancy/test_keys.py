"""Every key of a growing table is 64-bit, in the public schema and in each tenant's.

Only the fixed catalogue tables (content types, permissions, groups, whose rows come from the
code, not from customers) and the one-row settings table keep smaller keys.
"""

from __future__ import annotations

from django.db import connection

from tenancy.models import Tenant

CATALOGUE_KEYS = {
    ("accounts_user_groups", "group_id"),
    ("accounts_user_user_permissions", "permission_id"),
    ("auth_group", "id"),
    ("auth_group_permissions", "group_id"),
    ("auth_group_permissions", "permission_id"),
    ("auth_permission", "content_type_id"),
    ("auth_permission", "id"),
    ("django_content_type", "id"),
}
SINGLE_ROW_KEYS = {("configuration_tenantsettings", "id")}


def narrow_keys(schema: str) -> set[tuple[str, str]]:
    """Primary- and foreign-key columns of ``schema`` narrower than ``bigint``."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT rel.relname, att.attname
            FROM pg_constraint con
            JOIN pg_class rel ON rel.oid = con.conrelid
            JOIN pg_namespace ns ON ns.oid = rel.relnamespace
            JOIN pg_attribute att ON att.attrelid = rel.oid AND att.attnum = ANY (con.conkey)
            WHERE con.contype IN ('p', 'f') AND ns.nspname = %s
              AND att.atttypid IN ('int2'::regtype, 'int4'::regtype)
            """,
            [schema],
        )
        return set(cursor.fetchall())


def test_public_schema_keys_are_64_bit_but_the_catalogue(public_tenant: Tenant) -> None:
    assert narrow_keys("public") == CATALOGUE_KEYS


def test_tenant_schema_keys_are_64_bit_but_the_catalogue_and_settings_row(bank: Tenant) -> None:
    assert narrow_keys(bank.schema_name) == CATALOGUE_KEYS | SINGLE_ROW_KEYS
