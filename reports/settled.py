"""The SLA compliance rollup (``SettledDeadlineCount``), kept by triggers on the deadlines.

Deadlines are written in many places (created with a complaint, moved when an SLA clock
resumes, met by a letter, stopped by a closing, restarted by a reopening, deleted when a
clock no longer applies), some by bulk ``UPDATE``. Statement-level triggers on the deadline
table (installed by ``reports/migrations/0003``) see every one of them in its transaction:
each statement's old rows count -1 and its new rows +1 in the quarter hour they settle in,
summed per key, applied in key order with ``INSERT … ON CONFLICT DO UPDATE`` (two changes
of one row wait for each other's commit instead of losing an update; one statement never
deadlocks with another on the rows it adds to). A write that changes nothing counted (the
deadline scan's notification stamps) adds nothing.

On Citus the triggers need ``citus.enable_unsafe_triggers`` (the deadline and rollup tables
are single-shard tables of the tenant's schema; ``docs/scaling.md``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from reports.models import SLOTS, SettledDeadlineCount

# The rollup's resolution: every local midnight (and so every period's bounds) is a quarter
# hour in UTC, whatever the tenant's time zone.
QUARTER = timedelta(minutes=15)
ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
TABLE = SettledDeadlineCount._meta.db_table


def quarter_floor(moment: datetime) -> datetime:
    """The start of the quarter hour (UTC, from midnight) that holds ``moment`` (aware)."""
    return moment - (moment - ORIGIN) % QUARTER


def quarter_ceiling(moment: datetime) -> datetime:
    """The first quarter-hour start at or after ``moment`` (aware)."""
    floor = quarter_floor(moment)
    return floor if floor == moment else floor + QUARTER


def _counted(rows: str, sign: int) -> str:
    """The counted deadlines of ``rows`` (a table of deadline rows), each as ``sign``."""
    # Only this module's own names and numbers are put in the text.
    return (
        "SELECT date_bin('15 minutes', LEAST(due_at, COALESCE(met_at, due_at)), "  # noqa: S608
        "TIMESTAMPTZ '2000-01-01 00:00:00+00') AS bucket, clock, "
        f"COALESCE(met_at <= due_at, false) AS in_time, mod(id, {SLOTS})::smallint AS slot, "
        f"{sign} AS delta FROM {rows} "
        "WHERE enforced AND NOT "
        "(met_at IS NULL AND stopped_at IS NOT NULL AND stopped_at <= due_at)"
    )


def _added(*counted: str, into: str = TABLE) -> str:
    """The statement adding the sums of ``counted`` to the rollup (``into``), in key order."""
    keys = "bucket, clock, in_time, slot"
    return (
        f"INSERT INTO {into} AS counted ({keys}, count) "  # noqa: S608 - own SQL
        f"SELECT {keys}, sum(delta) FROM ({' UNION ALL '.join(counted)}) AS changed "
        f"GROUP BY {keys} HAVING sum(delta) <> 0 ORDER BY {keys} "
        f"ON CONFLICT ({keys}) DO UPDATE SET count = counted.count + EXCLUDED.count"
    )


# One statement each, as Citus propagates DDL statement by statement. The function writes to
# the rollup of the schema whose deadlines changed (``TG_TABLE_SCHEMA``), never one the
# session's search path happens to name; it names no schema itself, so a tenant cloned from
# the template gets it unchanged. A TRUNCATE of the deadlines empties the rollup.
_INTO = f"%I.{TABLE}"
INSTALL = [
    f"""
CREATE OR REPLACE FUNCTION reports_count_settled_deadlines() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        EXECUTE format('DELETE FROM {_INTO}', TG_TABLE_SCHEMA);
    ELSIF TG_OP = 'INSERT' THEN
        EXECUTE format($sql${_added(_counted("inserted", 1), into=_INTO)}$sql$, TG_TABLE_SCHEMA);
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format($sql${_added(_counted("deleted", -1), into=_INTO)}$sql$, TG_TABLE_SCHEMA);
    ELSE
        EXECUTE format(
            $sql${_added(_counted("before_update", -1), _counted("after_update", 1), into=_INTO)}$sql$,
            TG_TABLE_SCHEMA
        );
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
    """,  # noqa: S608 - this module's own SQL
    """
    CREATE TRIGGER deadline_settled_insert AFTER INSERT ON deadlines_deadline
        REFERENCING NEW TABLE AS inserted
        FOR EACH STATEMENT EXECUTE FUNCTION reports_count_settled_deadlines()
    """,
    """
    CREATE TRIGGER deadline_settled_update AFTER UPDATE ON deadlines_deadline
        REFERENCING OLD TABLE AS before_update NEW TABLE AS after_update
        FOR EACH STATEMENT EXECUTE FUNCTION reports_count_settled_deadlines()
    """,
    """
    CREATE TRIGGER deadline_settled_delete AFTER DELETE ON deadlines_deadline
        REFERENCING OLD TABLE AS deleted
        FOR EACH STATEMENT EXECUTE FUNCTION reports_count_settled_deadlines()
    """,
    """
    CREATE TRIGGER deadline_settled_truncate AFTER TRUNCATE ON deadlines_deadline
        FOR EACH STATEMENT EXECUTE FUNCTION reports_count_settled_deadlines()
    """,
]
REMOVE = [
    "DROP TRIGGER IF EXISTS deadline_settled_truncate ON deadlines_deadline",
    "DROP TRIGGER IF EXISTS deadline_settled_delete ON deadlines_deadline",
    "DROP TRIGGER IF EXISTS deadline_settled_update ON deadlines_deadline",
    "DROP TRIGGER IF EXISTS deadline_settled_insert ON deadlines_deadline",
    "DROP FUNCTION IF EXISTS reports_count_settled_deadlines()",
]


def rebuild_settled_counts() -> int:
    """Recount every ``SettledDeadlineCount`` of the current tenant from its deadlines;
    rows written. The rollup is locked meanwhile: a deadline change committing during the
    rebuild waits, then adds its difference to the rebuilt counts."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608 - the model's own table
        cursor.execute(_added(_counted("deadlines_deadline", 1)))
        return cursor.rowcount
