"""Reports in the API: the dashboard's figures and the regulatory return as JSON (managers).

The same tables, periods and cache as the pages (``reports.views``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.api.common import REPORTS, ScopedView, form_errors
from reports.forms import PeriodForm, ReturnPeriodForm
from reports.metrics import Table
from reports.views import dashboard_tables, local_today, period_of, return_tables, tenant_time_zone


class TableSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    headers = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.JSONField()),
        help_text="One list per row, in the order of headers.",
    )


class ReportSerializer(serializers.Serializer):
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    computed_at = serializers.DateTimeField()
    tables = TableSerializer(many=True)


def _plain(value: Any) -> Any:
    """A table cell as JSON: numbers and text as they are, a moment in ISO 8601 with its
    offset (the tenant's), links as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _table(table: Table) -> dict[str, Any]:
    return {
        "key": table.key,
        "title": table.title,
        "headers": [str(header) for header in table.headers],
        "rows": [[_plain(cell) for cell in row] for row in table.rows],
    }


PERIOD = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (local date)."),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day (local date)."),
]
RETURN_PERIOD = [
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        enum=[ReturnPeriodForm.FIRST_HALF, ReturnPeriodForm.SECOND_HALF, ReturnPeriodForm.CUSTOM],
        description="A half-year (with year), or custom dates; the last complete half-year "
        "when omitted.",
    ),
    OpenApiParameter("year", OpenApiTypes.INT),
    *PERIOD,
]


class ReportView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    client_scope = REPORTS
    serializer_class = ReportSerializer
    form_class: type[PeriodForm] | type[ReturnPeriodForm] = PeriodForm

    def tables(self, period: Any) -> Any:
        return dashboard_tables(period)

    def get(self, request: Request) -> Response:
        if not request.user.has_perm("reports.view_dashboard"):
            raise PermissionDenied("Only managers may read reports.")
        time_zone = tenant_time_zone()
        form = self.form_class.for_request(request.query_params, local_today(time_zone))
        if not form.is_valid():
            raise form_errors(form)
        period = period_of(form, time_zone)
        tables, computed_at = self.tables(period)
        first, last = form.dates()
        return Response(
            {
                "first_day": first,
                "last_day": last,
                "computed_at": computed_at,
                "tables": [_table(table) for table in tables],
            }
        )


@extend_schema(summary="The dashboard's figures for a period (managers)", parameters=PERIOD)
class DashboardReport(ReportView):
    pass


@extend_schema(summary="The regulatory return for a period (managers)", parameters=RETURN_PERIOD)
class ReturnReport(ReportView):
    form_class = ReturnPeriodForm

    def tables(self, period: Any) -> Any:
        return return_tables(period)


urlpatterns = [
    path("reports/dashboard/", DashboardReport.as_view(), name="api_report_dashboard"),
    path("reports/return/", ReturnReport.as_view(), name="api_report_return"),
]
