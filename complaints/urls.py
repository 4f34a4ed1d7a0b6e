from __future__ import annotations

from django.urls import path, register_converter

from complaints import customer_views, views
from complaints.models import REFERENCE_PATTERN


class ReferenceConverter:
    """A complaint reference in a URL (``C-2026-000042``); anything else is a 404 before any
    query runs, so a NUL byte or a megabyte of text never reaches the database."""

    regex = REFERENCE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "reference")

urlpatterns = [
    path("", views.home, name="home"),
    path("complaints/", views.my_complaints, name="my_complaints"),
    path("complaints/new/", views.new_complaint, name="new_complaint"),
    path("complaints/<reference:reference>/", views.complaint_detail, name="complaint_detail"),
    path(
        "complaints/<reference:reference>/files/<int:attachment_id>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path("complaints/<reference:reference>/draft/", views.portal_draft, name="portal_draft"),
    path(
        "complaints/<reference:reference>/timeline/",
        views.timeline_earlier,
        name="timeline_earlier",
    ),
    path(
        "complaints/<reference:reference>/<slug:action>/", views.portal_action, name="portal_action"
    ),
    path("console/", views.console_queue, name="console_queue"),
    path("console/bulk/", views.console_bulk, name="console_bulk"),
    path("console/views/", views.console_save_view, name="console_save_view"),
    path("console/views/<int:pk>/delete/", views.console_delete_view, name="console_delete_view"),
    path("console/views/<int:pk>/rename/", views.console_rename_view, name="console_rename_view"),
    path("console/canned-responses/", views.canned_responses, name="canned_responses"),
    path(
        "console/canned-responses/<int:pk>/",
        views.canned_response_edit,
        name="canned_response_edit",
    ),
    path("console/complaints/new/", views.console_intake, name="console_intake"),
    path(
        "console/customers/<int:consumer_id>/",
        customer_views.console_customer,
        name="console_customer",
    ),
    path(
        "console/complaints/<reference:reference>/",
        views.console_complaint,
        name="console_complaint",
    ),
    path(
        "console/complaints/<reference:reference>/presence/",
        views.console_presence,
        name="console_presence",
    ),
    path(
        "console/complaints/<reference:reference>/draft/<slug:box>/",
        views.console_draft,
        name="console_draft",
    ),
    path(
        "console/complaints/<reference:reference>/letter/<slug:action>/",
        views.console_letter_preview,
        name="console_letter_preview",
    ),
    path(
        "console/complaints/<reference:reference>/canned/",
        views.console_canned_fill,
        name="console_canned_fill",
    ),
    path(
        "console/complaints/<reference:reference>/<slug:action>/form/",
        views.console_action_form,
        name="console_action_form",
    ),
    path(
        "console/complaints/<reference:reference>/<slug:action>/",
        views.console_action,
        name="console_action",
    ),
]
