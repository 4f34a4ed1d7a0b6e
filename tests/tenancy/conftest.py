"""Helpers for tests of host routing."""

from __future__ import annotations

from django.core.cache import cache
from django_tenants.utils import schema_context

from tenancy.middleware import host_cache_key
from tenancy.models import Tenant


def cached_host(hostname: str) -> Tenant | None:
    """The tenant the routing middleware has cached for a host, if any."""
    with schema_context("public"):
        return cache.get(host_cache_key(hostname))
