from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from tenancy import current
from tenancy.confirmed_cache import delete_confirmed
from tenancy.models import Domain, Tenant

logger = logging.getLogger(__name__)

TENANT_CACHE_SECONDS = 60


def host_cache_key(hostname: str) -> str:
    return f"tenancy:host:{hostname}"


def forget_host(hostname: str) -> None:
    """Drop a cached host lookup after its tenant or domain changed: now, and again when the
    transaction commits (a request between the two would have cached the row as it stood
    before the change). Tried even in the seconds the process leaves Redis alone after an
    error; if Redis cannot take it, the lookup lapses within ``TENANT_CACHE_SECONDS``."""
    _drop_host(hostname)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _drop_host(hostname))


def _drop_host(hostname: str) -> None:
    # Host lookups are cached under the public schema's key prefix. The connection's tenant
    # object is restored, not just its schema name, so code after a tenant save still sees it.
    previous = current.tenant()
    current.use_public_schema()
    try:
        if not delete_confirmed(host_cache_key(hostname), forced=True):
            logger.error(
                "cached tenant of a host not dropped (the cache did not answer); "
                "it lapses within %d s",
                TENANT_CACHE_SECONDS,
            )
    finally:
        current.use_tenant(previous)


class TenantMiddleware(TenantMainMiddleware):
    """Resolves the tenant from the host, with a cached lookup and a page for every refusal."""

    @staticmethod
    def hostname_from_request(request: HttpRequest) -> str:
        """The host name without port, in lower case: host names are case-insensitive."""
        return TenantMainMiddleware.hostname_from_request(request).lower()

    def get_tenant(self, domain_model: type[Domain], hostname: str) -> Tenant:  # type: ignore[override]
        key = host_cache_key(hostname)
        tenant = cache.get(key)
        if tenant is None:
            tenant = super().get_tenant(domain_model, hostname)
            cache.set(key, tenant, TENANT_CACHE_SECONDS)
        return tenant

    def no_tenant_found(self, request: HttpRequest, hostname: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "No organisation is served at this address."}, status=404
            )
        return render(request, "tenancy/unknown_host.html", {"hostname": hostname}, status=404)

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        # A Host outside ALLOWED_HOSTS raises DisallowedHost here, which Django answers with 400
        # and a security log entry; django-tenants alone would swallow it into a bare 404.
        request.get_host()
        response = super().process_request(request)
        if response is not None:
            return response
        tenant: Tenant = request.tenant  # type: ignore[attr-defined]
        current.tenant_var.set(tenant.schema_name)
        if tenant.is_suspended:
            current.use_public_schema()
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": f"{tenant.name} is suspended; the API is unavailable."},
                    status=503,
                )
            return render(request, "tenancy/suspended.html", {"tenant": tenant}, status=503)
        return None


class TenantTimeZoneMiddleware:
    """Every request of a tenant works in the tenant's time zone (the console, the audit
    log, date filters, e-mails rendered on the way); the platform console in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with current.local_time():
            return self.get_response(request)
