from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from deadlines.services import tenant_calendar
from project.spreadsheets import csv_download
from reports import metrics
from reports.forms import PeriodForm, ReturnPeriodForm
from reports.metrics import Period, Scope, Table
from tenancy import current


def _time_zone() -> ZoneInfo:
    return ZoneInfo(current.tenant().time_zone)


def _period(form: PeriodForm | ReturnPeriodForm, time_zone: ZoneInfo) -> Period:
    first, last = form.dates()
    return Period(first, last, time_zone)


def _today(time_zone: ZoneInfo) -> date:
    return timezone.now().astimezone(time_zone).date()


def _query(form: PeriodForm | ReturnPeriodForm) -> str:
    """The query string that asks for the same period again (for the CSV links)."""
    return urlencode({name: value for name, value in form.data.items() if value is not None})


# Figures over hundreds of thousands of complaints take about a second to compute; they are
# kept per tenant (cache keys carry the schema) and period for a few minutes, and a finished
# period's return for an hour, since it no longer changes.
DASHBOARD_CACHE_SECONDS = 300
CLOSED_PERIOD_CACHE_SECONDS = 3600


def cached_tables(
    kind: str, period: Period, compute: Callable[[], list[Table]]
) -> tuple[list[Table], datetime]:
    """The report's tables and the moment they were computed, from the cache when fresh."""
    key = f"reports:{kind}:{period.slug}"
    cached = cache.get(key)
    if cached is None:
        cached = (compute(), timezone.now())
        closed = kind == "return" and period.end <= timezone.now()
        cache.set(key, cached, CLOSED_PERIOD_CACHE_SECONDS if closed else DASHBOARD_CACHE_SECONDS)
    return cached


def _render_page(
    request: AuthenticatedRequest, template: str, context: dict[str, Any]
) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        template += "#report"
    return render(request, template, context)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("reports.view_dashboard")
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    time_zone = _time_zone()
    form = PeriodForm.for_request(request.GET, _today(time_zone))
    tables: list[Table] = []
    period = None
    if form.is_valid():
        scope = Scope(_period(form, time_zone), timezone.now())
        period = scope.period
        tables, computed_at = cached_tables(
            "dashboard",
            period,
            lambda: [figure(scope) for figure in metrics.DASHBOARD_TABLES.values()],
        )
    return _render_page(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "tables": tables,
            "computed_at": computed_at if period else None,
            "period": period,
            "query": _query(form),
            "csv_view": "dashboard_csv",
        },
    )


@require_GET
@permission_required("reports.view_dashboard")
def dashboard_csv(request: AuthenticatedRequest, table: str) -> HttpResponseBase:
    figure = metrics.DASHBOARD_TABLES.get(table)
    if figure is None:
        raise Http404
    time_zone = _time_zone()
    form = PeriodForm.for_request(request.GET, _today(time_zone))
    if not form.is_valid():
        return _invalid_period(form)
    scope = Scope(_period(form, time_zone), timezone.now())
    tables, _ = cached_tables(
        "dashboard",
        scope.period,
        lambda: [each(scope) for each in metrics.DASHBOARD_TABLES.values()],
    )
    return csv_response(tables[list(metrics.DASHBOARD_TABLES).index(table)], scope.period)


@require_GET
@vary_on_headers("HX-Request")
@permission_required("reports.view_dashboard")
def regulatory_return(request: AuthenticatedRequest) -> HttpResponse:
    time_zone = _time_zone()
    tenant = current.tenant()
    form = ReturnPeriodForm.for_request(request.GET, _today(time_zone))
    tables: list[Table] = []
    period = None
    if form.is_valid():
        period = _period(form, time_zone)
        chosen_period = period
        tables, computed_at = cached_tables(
            "return",
            period,
            lambda: metrics.regulatory_return(
                chosen_period, tenant.regulatory_profile, tenant_calendar
            ),
        )
    return _render_page(
        request,
        "reports/regulatory_return.html",
        {
            "form": form,
            "tables": tables,
            "period": period,
            "profile": tenant.get_regulatory_profile_display(),
            "computed_at": computed_at if period else None,
            "query": _query(form),
            "csv_view": "regulatory_return_csv",
        },
    )


@require_GET
@permission_required("reports.view_dashboard")
def regulatory_return_csv(request: AuthenticatedRequest, table: str) -> HttpResponseBase:
    time_zone = _time_zone()
    form = ReturnPeriodForm.for_request(request.GET, _today(time_zone))
    if not form.is_valid():
        return _invalid_period(form)
    period = _period(form, time_zone)
    profile = current.tenant().regulatory_profile
    tables, _ = cached_tables(
        "return", period, lambda: metrics.regulatory_return(period, profile, tenant_calendar)
    )
    chosen = next((each for each in tables if each.key == table), None)
    if chosen is None:
        raise Http404
    return csv_response(chosen, period, prefix="return-")


def _invalid_period(form: PeriodForm | ReturnPeriodForm) -> HttpResponse:
    errors = " ".join(str(error) for errors in form.errors.values() for error in errors)
    return HttpResponse(
        f"Invalid period: {errors}", status=400, content_type="text/plain; charset=utf-8"
    )


def csv_response(table: Table, period: Period, *, prefix: str = "") -> StreamingHttpResponse:
    """The table as a CSV download named after it and the period."""
    return csv_download(f"{prefix}{table.key}_{period.slug}.csv", table.headers, table.rows)
