"""New tenants are copies of the template schema, which migrate_schemas keeps migrated."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context

from configuration.models import TenantSettings
from tenancy.models import Tenant
from tenancy.template import template_schema

# What the migrations themselves write; a new tenant starts with nothing else.
MIGRATION_ROWS = {
    "auth_permission",
    "configuration_tenantsettings",
    "django_content_type",
    "django_migrations",
}


def rows(query: str, params: list[object]) -> set[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return set(cursor.fetchall())


def definition(schema: str) -> dict[str, set[tuple[object, ...]]]:
    """Columns, constraints, indexes, sequences and triggers of ``schema``, by name."""
    namespace = [schema]
    return {
        "columns": rows(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                   a.attidentity, rank() OVER (PARTITION BY c.relname ORDER BY a.attnum)
            FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r'
              AND a.attnum > 0 AND NOT a.attisdropped
            """,
            namespace,
        ),
        "constraints": rows(
            """
            SELECT c.relname, con.conname, con.contype,
                   replace(pg_get_constraintdef(con.oid), quote_ident(%s) || '.', '')
            FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
            WHERE con.connamespace = %s::regnamespace
            """,
            [schema, schema],
        ),
        # Predicates are compared by presence: PostgreSQL prints a re-read predicate differently.
        "indexes": rows(
            """
            SELECT t.relname, c.relname, am.amname, i.indisunique, i.indpred IS NOT NULL,
                   pg_get_expr(i.indexprs, i.indrelid),
                   (SELECT string_agg(a.attname, ',' ORDER BY k.position)
                    FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
                    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid JOIN pg_am am ON am.oid = c.relam
            WHERE c.relnamespace = %s::regnamespace
            """,
            namespace,
        ),
        "sequences": rows(
            """
            SELECT sequencename, data_type::text, start_value, increment_by, max_value,
                   last_value
            FROM pg_sequences WHERE schemaname = %s
            """,
            namespace,
        ),
        "triggers": rows(
            """
            SELECT c.relname, t.tgname, t.tgtype, p.proname, pn.nspname = %s
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
            WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal
            """,
            [schema, schema],
        ),
    }


def tables_with_rows(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", [schema]
        )
        tables = [row[0] for row in cursor.fetchall()]
        found = set()
        for table in tables:
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{schema}"."{table}")')
            if cursor.fetchone()[0]:
                found.add(table)
        return found


@pytest.fixture
def new_tenant(public_tenant: Tenant) -> Callable[..., Tenant]:
    """Create a tenant inside the test's transaction (its schema rolls back with it)."""

    def create(slug: str = "fresh", country: str = "GB") -> Tenant:
        connection.set_schema_to_public()
        tenant = Tenant(schema_name=f"t_{slug}", slug=slug, name=slug.title(), country=country)
        tenant.save(verbosity=0)
        return tenant

    return create


def test_the_template_is_migrated_with_every_tenant_schema(bank: Tenant) -> None:
    leaves = {
        node
        for node in MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes()
        if node[0] not in {"tenancy", "django_tenants"}
    }
    applied = "SELECT app, name FROM {}.django_migrations"
    template = rows(applied.format(template_schema()), [])
    assert leaves <= template
    assert template == rows(applied.format(bank.schema_name), [])


def test_a_new_tenant_schema_is_defined_exactly_as_the_template(
    new_tenant: Callable[..., Tenant],
) -> None:
    tenant = new_tenant()

    template, clone = definition(template_schema()), definition(tenant.schema_name)
    for part in template:
        assert clone[part] == template[part], part
    # The triggers (the audit log's append-only two, the SLA compliance rollup's four) call
    # the new schema's own functions, not the template's.
    assert all(own_schema for *_, own_schema in clone["triggers"])
    assert len(clone["triggers"]) == 6


def test_a_new_tenant_schema_holds_only_what_the_migrations_write(
    new_tenant: Callable[..., Tenant],
) -> None:
    tenant = new_tenant()

    assert tables_with_rows(tenant.schema_name) == MIGRATION_ROWS


def test_a_new_tenant_numbers_from_its_own_sequences(new_tenant: Callable[..., Tenant]) -> None:
    tenant = new_tenant()
    template_users = f"{template_schema()}.accounts_user_id_seq"
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM " + template_users)
        template_before = cursor.fetchone()
        cursor.execute(f"SELECT nextval('{tenant.schema_name}.complaint_reference_seq')")
        assert cursor.fetchone()[0] == 1
    with schema_context(tenant.schema_name):
        from accounts.models import User
        from complaints.models import Complaint

        first = User.objects.create_user("first@example.com", "a-long-password-1")
        second = User.objects.create_user("second@example.com", "a-long-password-1")
        # A complaint inserted without a reference is numbered by the column's default, which
        # the copy points at the new schema's own sequence.
        numbered = Complaint.objects.create(consumer=first, subject="s", description="d")
    assert (first.pk, second.pk) == (1, 2)
    assert re.fullmatch(r"C-[0-9]{4}-000002", numbered.reference), numbered.reference
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM " + template_users)
        assert cursor.fetchone() == template_before


@pytest.mark.parametrize(("country", "subdivision"), [("GB", "ENG"), ("US", "")])
def test_a_new_tenant_keeps_the_holidays_of_its_country(
    new_tenant: Callable[..., Tenant], country: str, subdivision: str
) -> None:
    tenant = new_tenant(country=country)

    with schema_context(tenant.schema_name):
        assert TenantSettings.objects.get().subdivision == subdivision
