"""Size and activity of each tenant for the platform console, read from its schema."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from psycopg import sql

from accounts.models import Role, User
from complaints.models import ACTIVE_STATUSES, Complaint
from tenancy.models import Tenant

STATS_CACHE_SECONDS = 300
RECENT_DAYS = 30


@dataclass(frozen=True)
class TenantStats:
    consumers: int
    staff: int
    complaints: int
    open_complaints: int
    received_recently: int  # in the last RECENT_DAYS days
    last_received_at: datetime | None


def stats_cache_key(tenant: Tenant) -> str:
    return f"operations:stats:{tenant.schema_name}"


# One statement per tenant schema, its tables named with the schema: no search_path switch.
STATS_QUERY = sql.SQL(
    """
    SELECT
      (SELECT count(*) FROM {users} WHERE is_active AND role = %(consumer)s),
      (SELECT count(*) FROM {users} WHERE is_active AND role <> %(consumer)s),
      c.total, c.open, c.recent, c.last_received_at
    FROM (
      SELECT count(*) AS total,
             count(*) FILTER (WHERE status = ANY(%(active)s)) AS open,
             count(*) FILTER (WHERE received_at >= %(since)s) AS recent,
             max(received_at) AS last_received_at
      FROM {complaints}
    ) AS c
    """
)


def _read_stats(schema: str) -> TenantStats:
    query = STATS_QUERY.format(
        users=sql.Identifier(schema, User._meta.db_table),
        complaints=sql.Identifier(schema, Complaint._meta.db_table),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            query.as_string(cursor.connection),
            {
                "consumer": Role.CONSUMER.value,
                "active": [str(status) for status in ACTIVE_STATUSES],
                "since": timezone.now() - timedelta(days=RECENT_DAYS),
            },
        )
        row = cursor.fetchone()
    return TenantStats(*row)


def tenant_stats(tenants: list[Tenant]) -> dict[int, TenantStats]:
    """Stats per tenant id, cached for a few minutes: one query per tenant not in the cache.

    A tenant annotated ``has_schema`` false (``TenantQuerySet.with_schema_flag``) has none.
    """
    keys = {stats_cache_key(tenant): tenant for tenant in tenants}
    cached: dict[str, TenantStats] = cache.get_many(list(keys))
    stats = {keys[key].pk: value for key, value in cached.items()}
    fresh = {}
    for key, tenant in keys.items():
        if key not in cached and getattr(tenant, "has_schema", True):
            fresh[key] = stats[tenant.pk] = _read_stats(tenant.schema_name)
    if fresh:
        cache.set_many(fresh, STATS_CACHE_SECONDS)
    return stats
