"""The template schema new tenants are cloned from, kept migrated by ``migrate_schemas``.

Creating a tenant by replaying every migration into an empty schema takes seconds; copying a
schema that is already migrated takes a fraction of one. The template is never a tenant: no
host routes to it and nothing but migrations writes to it, so its only rows are what the
migrations create (migration records, content types, permissions, the default settings row).

``migrate_schemas`` runs through :func:`get_executor` (``GET_EXECUTOR_FUNCTION``): whenever it
migrates every tenant schema it creates the template if missing and migrates it first, so a
tenant created after a deployment already has the new migrations.

:func:`clone_template` copies the template with PostgreSQL's own definitions of each object
(``pg_get_constraintdef``, ``pg_get_indexdef``, ``pg_get_triggerdef``, ``pg_get_functiondef``),
so every constraint, index, sequence and trigger keeps its name and definition, and later
migrations that name them apply to cloned schemas as to migrated ones. (django-tenants' own
clone function renames unique constraints, which is why it is not used.)
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorWrapper
from django_tenants.migration_executors import get_executor as tenants_get_executor
from django_tenants.migration_executors.base import MigrationExecutor
from django_tenants.utils import get_public_schema_name, schema_exists

# Constraints in the order they can be added: keys before the foreign keys that need them.
CONSTRAINT_ORDER = {"p": 0, "u": 1, "x": 2, "c": 3, "t": 4, "f": 5}


def template_schema() -> str:
    """The name of the template schema (``settings.TENANT_TEMPLATE_SCHEMA``)."""
    return str(settings.TENANT_TEMPLATE_SCHEMA)


def template_exists() -> bool:
    return bool(schema_exists(template_schema()))


def get_executor(codename: str | None = None) -> type[MigrationExecutor]:
    """django-tenants' executor ``codename`` (standard, multiprocessing, subprocess), migrating
    the template schema before the tenants whenever every tenant schema is migrated."""
    return _migrating_the_template(tenants_get_executor(codename))


@functools.cache
def _migrating_the_template(executor: type[MigrationExecutor]) -> type[MigrationExecutor]:
    class TemplateFirst(executor):  # type: ignore[valid-type,misc]
        def run_migrations(self, tenants: Any = None) -> None:
            schemas = list(tenants or [])
            # The public schema is migrated in a call of its own; a run limited to one schema
            # (--schema) leaves the template alone.
            if get_public_schema_name() not in schemas and not self.options.get("schema_name"):
                with connection.cursor() as cursor:
                    cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(template_schema())}")
                schemas.insert(0, template_schema())
            super().run_migrations(tenants=schemas)

    return TemplateFirst


def quote(name: str) -> str:
    return str(connection.ops.quote_name(name))


def clone_template(schema_name: str) -> None:
    """Create schema ``schema_name`` as a copy of the template: its tables, sequences (at the
    template's values), constraints, indexes, functions, triggers and rows.

    Runs in the caller's transaction, if any. Raises ``django.db.DatabaseError`` if the schema
    exists. Leaves the connection on the public schema.
    """
    template = template_schema()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s::regnamespace::oid", [template])
            namespace = cursor.fetchone()[0]
            # Definitions come out unqualified for objects of the schema on the search path.
            cursor.execute(f"SET search_path = {quote(template)}")
            statements = _definitions(cursor, namespace, template, schema_name)
            cursor.execute(f"CREATE SCHEMA {quote(schema_name)}")
            cursor.execute(f"SET search_path = {quote(schema_name)}")
            cursor.execute(";\n".join(statements))
    finally:
        # The next cursor sets the search path again.
        connection.set_schema_to_public()  # type: ignore[attr-defined]


def _definitions(cursor: CursorWrapper, namespace: int, template: str, schema: str) -> list[str]:
    """The statements that rebuild the template's objects in the schema on the search path."""
    statements: list[str] = []
    setvals: list[str] = []
    cursor.execute(
        """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin,
               s.seqmax, s.seqcache, s.seqcycle, ps.last_value, ps.last_value IS NOT NULL,
               EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i')
        FROM pg_class c
        JOIN pg_sequence s ON s.seqrelid = c.oid
        JOIN pg_sequences ps ON ps.schemaname = %s AND ps.sequencename = c.relname
        WHERE c.relnamespace = %s
        ORDER BY c.relname
        """,
        [template, namespace],
    )
    identity_sequences = {}
    for (
        name,
        type_,
        start,
        increment,
        minimum,
        maximum,
        cache,
        cycle,
        last,
        called,
        owned,
    ) in cursor.fetchall():
        options = (
            f"INCREMENT {increment} MINVALUE {minimum} MAXVALUE {maximum} "
            f"START {start} CACHE {cache} {'CYCLE' if cycle else 'NO CYCLE'}"
        )
        if owned:
            # An identity sequence takes its column's type.
            identity_sequences[name] = options
        else:
            statements.append(f"CREATE SEQUENCE {quote(name)} AS {type_} {options}")
        if called:
            setvals.append(f"SELECT setval('{quote(name)}', {last}, true)")

    # Functions, indexes and triggers name their own (or their table's) schema first.
    cursor.execute("SELECT quote_ident(%s) || '.', quote_ident(%s) || '.'", [template, schema])
    template_prefix, schema_prefix = cursor.fetchone()

    def moved(definitions: list[tuple[str]]) -> list[str]:
        return [row[0].replace(template_prefix, schema_prefix, 1) for row in definitions]

    cursor.execute(
        "SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = %s "
        "ORDER BY p.proname",
        [namespace],
    )
    statements += moved(cursor.fetchall())

    cursor.execute(
        """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity,
               pg_get_serial_sequence(quote_ident(c.relname), a.attname), a.attgenerated
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relnamespace = %s AND c.relkind = 'r'
        ORDER BY c.relname, a.attnum
        """,
        [namespace],
    )
    tables: dict[str, list[str]] = {}
    # The columns whose rows are copied: a generated column is computed again, not copied.
    copied: dict[str, list[str]] = {}
    for table, column, type_, not_null, default, identity, sequence, generated in cursor.fetchall():
        parts = [quote(column), type_]
        if not_null:
            parts.append("NOT NULL")
        if generated == "s":
            parts.append(f"GENERATED ALWAYS AS ({default}) STORED")
        elif default is not None:
            parts.append(f"DEFAULT {default}")
        if generated != "s":
            copied.setdefault(table, []).append(quote(column))
        if identity:
            name = sequence.rsplit(".", 1)[-1].strip('"')
            kind = "ALWAYS" if identity == "a" else "BY DEFAULT"
            parts.append(
                f"GENERATED {kind} AS IDENTITY (SEQUENCE NAME {quote(name)} "
                f"{identity_sequences[name]})"
            )
        tables.setdefault(table, []).append(" ".join(parts))
    for table, columns in tables.items():
        statements.append(f"CREATE TABLE {quote(table)} ({', '.join(columns)})")
        names = ", ".join(copied[table])
        statements.append(
            # Names from the catalogue, quoted.
            f"INSERT INTO {quote(table)} ({names}) "  # noqa: S608
            f"SELECT {names} FROM {quote(template)}.{quote(table)}"
        )

    cursor.execute(
        """
        SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
        WHERE con.connamespace = %s AND con.contype <> 'n'
        """,
        [namespace],
    )
    for table, name, _, definition in sorted(
        cursor.fetchall(), key=lambda row: (CONSTRAINT_ORDER.get(row[2], 9), row[0], row[1])
    ):
        statements.append(f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}")

    cursor.execute(
        """
        SELECT pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %s
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid)
        ORDER BY c.relname
        """,
        [namespace],
    )
    statements += moved(cursor.fetchall())

    cursor.execute(
        """
        SELECT pg_get_triggerdef(t.oid)
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %s AND NOT t.tgisinternal
        ORDER BY t.tgname
        """,
        [namespace],
    )
    statements += moved(cursor.fetchall())
    return statements + setvals
