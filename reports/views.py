from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from complaints.spreadsheets import csv_download
from reports import metrics
from reports.forms import PeriodForm, ReturnPeriodForm
from reports.metrics import Period, Scope, Table
from tenancy import current


def tenant_time_zone() -> ZoneInfo:
    return ZoneInfo(current.tenant().time_zone)


def period_of(form: PeriodForm | ReturnPeriodForm, time_zone: ZoneInfo) -> Period:
    first, last = form.dates()
    return Period(first, last, time_zone)


def local_today(time_zone: ZoneInfo) -> date:
    return timezone.now().astimezone(time_zone).date()


def _query(form: PeriodForm | ReturnPeriodForm) -> str:
    """The query string that asks for the same period again (for the CSV links)."""
    return urlencode({name: value for name, value in form.data.items() if value is not None})


# Figures are kept per tenant (cache keys carry the schema) and period for a few minutes, a
# finished period's return too: a complaint logged late with an earlier receipt date still
# changes it, and the return reads only the rollups (tens of milliseconds cold).
DASHBOARD_CACHE_SECONDS = 300


def cached_tables(
    kind: str, period: Period, compute: Callable[[], list[Table]]
) -> tuple[list[Table], datetime]:
    """The report's tables and the moment they were computed, from the cache when fresh:
    kept per regulatory profile and time zone too, so a change of either (the return's
    layout, the days' boundaries) is computed afresh at once."""
    tenant = current.tenant()
    key = f"reports:{kind}:{tenant.regulatory_profile}:{tenant.time_zone}:{period.slug}"
    cached = cache.get(key)
    if cached is None:
        cached = (compute(), timezone.now())
        cache.set(key, cached, DASHBOARD_CACHE_SECONDS)
    return cached


def dashboard_tables(period: Period) -> tuple[list[Table], datetime]:
    scope = Scope(period, timezone.now())
    return cached_tables(
        "dashboard", period, lambda: [figure(scope) for figure in metrics.DASHBOARD_TABLES.values()]
    )


def return_tables(period: Period) -> tuple[list[Table], datetime]:
    profile = current.tenant().regulatory_profile
    return cached_tables("return", period, lambda: metrics.regulatory_return(period, profile))


def _report_page(
    request: AuthenticatedRequest,
    form_class: type[PeriodForm] | type[ReturnPeriodForm],
    tables_for: Callable[[Period], tuple[list[Table], datetime]],
    template: str,
    **context: Any,
) -> HttpResponse:
    """A report page for the period asked for; htmx gets the report region alone."""
    time_zone = tenant_time_zone()
    form = form_class.for_request(request.GET, local_today(time_zone))
    tables: list[Table] = []
    period = computed_at = None
    if form.is_valid():
        period = period_of(form, time_zone)
        tables, computed_at = tables_for(period)
    if request.htmx:  # type: ignore[attr-defined]
        template += "#report"
    context |= {
        "form": form,
        "tables": tables,
        "computed_at": computed_at,
        "period": period,
        "query": _query(form),
    }
    return render(request, template, context)


def _report_csv(
    request: AuthenticatedRequest,
    form_class: type[PeriodForm] | type[ReturnPeriodForm],
    tables_for: Callable[[Period], tuple[list[Table], datetime]],
    key: str,
    prefix: str = "",
) -> HttpResponseBase:
    """One table of a report as a CSV download; 404 for a table the report does not have."""
    time_zone = tenant_time_zone()
    form = form_class.for_request(request.GET, local_today(time_zone))
    if not form.is_valid():
        return _invalid_period(form)
    period = period_of(form, time_zone)
    tables, _ = tables_for(period)
    chosen = next((table for table in tables if table.key == key), None)
    if chosen is None:
        raise Http404
    return csv_download(f"{prefix}{chosen.key}_{period.slug}.csv", chosen.headers, chosen.rows)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("reports.view_dashboard")
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    return _report_page(
        request, PeriodForm, dashboard_tables, "reports/dashboard.html", csv_view="dashboard_csv"
    )


@require_GET
@permission_required("reports.view_dashboard")
def dashboard_csv(request: AuthenticatedRequest, table: str) -> HttpResponseBase:
    if table not in metrics.DASHBOARD_TABLES:
        raise Http404
    return _report_csv(request, PeriodForm, dashboard_tables, table)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("reports.view_dashboard")
def regulatory_return(request: AuthenticatedRequest) -> HttpResponse:
    return _report_page(
        request,
        ReturnPeriodForm,
        return_tables,
        "reports/regulatory_return.html",
        csv_view="regulatory_return_csv",
        profile=current.tenant().get_regulatory_profile_display(),
    )


@require_GET
@permission_required("reports.view_dashboard")
def regulatory_return_csv(request: AuthenticatedRequest, table: str) -> HttpResponseBase:
    return _report_csv(request, ReturnPeriodForm, return_tables, table, prefix="return-")


def _invalid_period(form: PeriodForm | ReturnPeriodForm) -> HttpResponse:
    errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return HttpResponse(
        f"Invalid period: {errors}", status=400, content_type="text/plain; charset=utf-8"
    )
